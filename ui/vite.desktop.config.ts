// Builds the desktop app's screens into dist-desktop/, which the Tauri bundle embeds. Same
// components and styles as the console; its own entry and the Tauri API implementation.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist-desktop",
    assetsDir: "assets",
    sourcemap: false,
    chunkSizeWarningLimit: 900,
    rollupOptions: { input: "desktop.html" },
  },
});
