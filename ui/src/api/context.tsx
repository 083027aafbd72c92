// Hands the one API implementation to every screen.
import { createContext, useContext, type ReactNode } from "react";
import type { TseederApi } from "./client";

const ApiContext = createContext<TseederApi | null>(null);

export function ApiProvider({ api, children }: { api: TseederApi; children: ReactNode }) {
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>;
}

export function useApi(): TseederApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error("useApi outside ApiProvider");
  return api;
}
