// The desktop app's screens, started by main.ts once the window's static frame is on screen: the
// same components and styles as the web console, over the Tauri implementation of the API.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ApiProvider } from "../api/context";
import { TauriDesktop } from "./api";
import { DesktopApp } from "./App";

export function start() {
  const desktop = new TauriDesktop();
  const queries = new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } } });
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <ApiProvider api={desktop.cloud}>
        <QueryClientProvider client={queries}>
          <DesktopApp api={desktop} />
        </QueryClientProvider>
      </ApiProvider>
    </StrictMode>,
  );
}
