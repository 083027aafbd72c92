// The organization the session works in: its jobs, usage, plan and new API keys. Every user page
// shows the working organization's data, so switching refetches everything.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useApi } from "../api/context";
import { queries } from "../api/queries";
import type { OrgSummary } from "../api/types";
import { errorMessage } from "./Feedback";

/** The organization the session works in, once the caller's organizations are known. */
export function useWorkingOrg(): OrgSummary | undefined {
  const api = useApi();
  const orgs = useQuery(queries.orgs(api));
  return orgs.data?.find((org) => org.current) ?? orgs.data?.[0];
}

export function orgLabel(org: OrgSummary): string {
  return org.personal ? "Personal" : org.name;
}

/** Switches the organization the session works in; everything shown is then refetched. */
export function useWorkIn() {
  const api = useApi();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (orgId: string) => api.workIn(orgId),
    onSuccess: () => client.invalidateQueries(),
  });
}

export function OrgSwitcher() {
  const api = useApi();
  const orgs = useQuery(queries.orgs(api));
  const current = useWorkingOrg();
  const workIn = useWorkIn();
  // Someone in no team has nothing to switch between.
  if (!orgs.data || orgs.data.length < 2 || !current) return null;
  const error = workIn.isError ? errorMessage(workIn.error) : null;
  return (
    <label className="org-switch" title={error ?? "The organization whose jobs, usage and plan you see"}>
      <span className="sr-only">Working in</span>
      <select
        aria-label="Working in"
        value={current.id}
        disabled={workIn.isPending}
        onChange={(e) => workIn.mutate(e.target.value)}
      >
        {orgs.data.map((org) => (
          <option key={org.id} value={org.id}>
            {orgLabel(org)}
          </option>
        ))}
      </select>
      {error && (
        <span className="notice error inline" role="alert">
          {error}
        </span>
      )}
    </label>
  );
}
