// Where new cloud jobs run — the operator's agents or Seedr.cc — with the jobs in flight on
// each, and the owner's switch behind the justified confirmation.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useApi } from "../../api/context";
import { keys, queries } from "../../api/queries";
import type { ProviderKind } from "../../api/types";
import { useConfirm } from "../../components/ConfirmDialog";
import { QueryView } from "../../components/Feedback";
import { useTitle } from "../../components/useTitle";
import { formatCount } from "../../lib/format";
import { hasRole, useSession } from "../../session";

const NAMES: Record<ProviderKind, string> = { agents: "Our agents", seedr: "Seedr.cc" };

export function Provider() {
  useTitle("Provider");
  const api = useApi();
  const client = useQueryClient();
  const { user } = useSession();
  const query = useQuery(queries.provider(api));
  const { ask, dialog } = useConfirm(() => {
    void client.invalidateQueries({ queryKey: keys.provider });
    void client.invalidateQueries({ queryKey: keys.runtimeSettings });
  });
  return (
    <section aria-labelledby="provider-title">
      <h1 id="provider-title">Provider</h1>
      <QueryView query={query} what="the providers">
        {(report) => {
          const inFlight = (provider: ProviderKind) =>
            report.providers.find((p) => p.provider === provider)?.inFlight ?? 0;
          const other: ProviderKind = report.active === "agents" ? "seedr" : "agents";
          return (
            <>
              <p>
                New cloud jobs run on <strong data-testid="active-provider">{NAMES[report.active]}</strong>. Jobs finish
                on the provider they started on.
              </p>
              <table className="table" aria-label="Jobs in flight by provider">
                <thead>
                  <tr>
                    <th scope="col">Provider</th>
                    <th scope="col" className="num">
                      Jobs waiting or running
                    </th>
                    <th scope="col">State</th>
                  </tr>
                </thead>
                <tbody>
                  {report.providers.map((p) => (
                    <tr key={p.provider}>
                      <th scope="row">{NAMES[p.provider]}</th>
                      <td className="num">{formatCount(p.inFlight)}</td>
                      <td>
                        {p.provider === report.active
                          ? "Active"
                          : p.provider === "seedr" && !report.seedrConfigured
                            ? "No account configured"
                            : "Standing by"}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {hasRole(user, "superadmin") ? (
                <button
                  type="button"
                  className="danger"
                  disabled={other === "seedr" && !report.seedrConfigured}
                  onClick={() =>
                    ask({
                      title: `Send new jobs to ${NAMES[other]}`,
                      description: `${formatCount(inFlight("agents"))} jobs in flight on our agents and ${formatCount(
                        inFlight("seedr"),
                      )} on Seedr.cc stay where they are. New cloud jobs go to ${NAMES[other]} from now on.`,
                      word: "SWITCH",
                      actionLabel: "Switch",
                      run: (why) => api.switchProvider(other, report.settingsVersion, why),
                    })
                  }
                >
                  Switch to {NAMES[other]}
                </button>
              ) : (
                <p className="muted">Only an owner (superadmin) switches the provider.</p>
              )}
              {other === "seedr" && !report.seedrConfigured && (
                <p className="muted small-print">
                  Set <code>providers.seedr.email</code> and <code>providers.seedr.password</code> to use Seedr.
                </p>
              )}
            </>
          );
        }}
      </QueryView>
      {dialog}
    </section>
  );
}
