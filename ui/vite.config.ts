/// <reference types="vitest/config" />
// Builds the console into dist/ with content-hashed asset names, which tseeder-cloud serves with
// a year-long cache. In development the API is proxied to a local tseeder-cloud.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    sourcemap: false,
    chunkSizeWarningLimit: 900,
    rollupOptions: {
      output: {
        manualChunks: { charts: ["recharts"], react: ["react", "react-dom", "react-router"] },
      },
    },
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:8080", "/health": "http://127.0.0.1:8080" },
  },
  test: { environment: "node" },
});
