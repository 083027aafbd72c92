// Who is signed in, and the gates in front of user and operator pages.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { useApi } from "./api/context";
import type { Role, User } from "./api/types";
import { ErrorNote, Loading } from "./components/Feedback";
import { queries, keys } from "./api/queries";

const RANK: Record<Role, number> = { user: 0, support: 1, admin: 2, superadmin: 3 };

export function hasRole(user: User | null | undefined, least: Role): boolean {
  return !!user && RANK[user.role] >= RANK[least];
}

export function useSession() {
  const api = useApi();
  const { data, isPending, error } = useQuery(queries.me(api));
  return { user: data?.user ?? null, isPending, error };
}

export function useSiteConfig() {
  const api = useApi();
  return useQuery(queries.siteConfig(api));
}

export function useSignOut() {
  const api = useApi();
  const client = useQueryClient();
  return async () => {
    try {
      await api.logout();
    } finally {
      client.clear();
      client.setQueryData(keys.me, null);
    }
  };
}

/** Renders `children` for a signed-in user of at least `least`; otherwise signs in or refuses. */
export function RequireRole({ least, children }: { least: Role; children: ReactNode }) {
  const { user, isPending, error } = useSession();
  const location = useLocation();
  if (isPending) return <Loading what="your account" />;
  if (error) return <ErrorNote error={error} />;
  if (!user) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  if (!hasRole(user, least)) {
    return (
      <section className="page narrow" aria-labelledby="forbidden-title">
        <h1 id="forbidden-title">Not available to your account</h1>
        <p className="muted">
          This page is for the tseeder {least} team. If you think you should see it, ask an administrator.
        </p>
      </section>
    );
  }
  return <>{children}</>;
}
