// Every version of the runtime settings, newest first: who changed what, why, and each change
// side by side. Any version (or the configuration file's values) can be restored; before that,
// the page shows what the rollback would change now.
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { useApi } from "../../../api/context";
import { keys, queries } from "../../../api/queries";
import type { SettingsVersion } from "../../../api/types";
import { useConfirm } from "../../../components/ConfirmDialog";
import { Empty, QueryView } from "../../../components/Feedback";
import { Pager } from "../../../components/Pager";
import { useTitle } from "../../../components/useTitle";
import { formatDate } from "../../../lib/format";
import { hasRole, useSession } from "../../../session";
import { Diff } from "./Diff";

function RollbackPreview({ version, latest, onCancel }: { version: number; latest: number; onCancel: () => void }) {
  const api = useApi();
  const client = useQueryClient();
  const preview = useQuery(queries.settingsVersion(api, version));
  const { ask, dialog } = useConfirm(() => {
    onCancel();
    for (const key of [keys.runtimeSettings, keys.settingsHistory, keys.siteConfig, keys.plans]) {
      void client.invalidateQueries({ queryKey: key });
    }
  });
  const name = version === 0 ? "the configuration file’s values" : `version ${version}`;
  return (
    <div className="card" aria-label={`Rollback to ${name}`}>
      <h3>Back to {name}</h3>
      <QueryView query={preview} what="the rollback">
        {(detail) =>
          detail.rollbackChanges.length === 0 ? (
            <p className="muted">Every setting already has its value from {name}.</p>
          ) : (
            <>
              <Diff changes={detail.rollbackChanges} label="Rollback changes" before="Now" after="After rollback" />
              <div className="actions">
                <button type="button" onClick={onCancel}>
                  Cancel
                </button>
                <button
                  type="button"
                  className="danger"
                  onClick={() =>
                    ask({
                      title: `Roll back to ${name}`,
                      description: `${detail.rollbackChanges.length} settings change at once, as version ${latest + 1}.`,
                      word: "ROLLBACK",
                      actionLabel: "Roll back",
                      run: (why) => api.rollbackSettings(version, latest, why),
                    })
                  }
                >
                  Roll back
                </button>
              </div>
            </>
          )
        }
      </QueryView>
      {dialog}
    </div>
  );
}

function VersionCard({
  item,
  latest,
  mayRollBack,
  previewing,
  onPreview,
}: {
  item: SettingsVersion;
  latest: number;
  mayRollBack: boolean;
  previewing: boolean;
  onPreview: (open: boolean) => void;
}) {
  return (
    <li className="card" aria-label={`Version ${item.version}`}>
      <div className="page-head">
        <h2>
          Version {item.version}
          {item.rollbackOf !== null && item.rollbackOf !== undefined && (
            <span className="badge">rollback to {item.rollbackOf === 0 ? "defaults" : `v${item.rollbackOf}`}</span>
          )}
        </h2>
        {mayRollBack && item.version !== latest && !previewing && (
          <button type="button" className="small" onClick={() => onPreview(true)}>
            Roll back to this version
          </button>
        )}
      </div>
      <p className="muted small-print">
        {formatDate(item.createdAt)} · {item.actorEmail} · ticket {item.ticketId}
      </p>
      <p>{item.reason}</p>
      <Diff changes={item.changes} label={`Changes of version ${item.version}`} />
      {previewing && <RollbackPreview version={item.version} latest={latest} onCancel={() => onPreview(false)} />}
    </li>
  );
}

export function SettingsHistory() {
  useTitle("Settings history");
  const api = useApi();
  const { user } = useSession();
  const [page, setPage] = useState(1);
  const [previewing, setPreviewing] = useState<number | null>(null);
  const history = useQuery({ ...queries.settingsHistory(api, page), placeholderData: keepPreviousData });
  const current = useQuery(queries.runtimeSettings(api));
  const latest = current.data?.version ?? 0;
  const mayRollBack = hasRole(user, "admin");
  return (
    <section aria-labelledby="history-title">
      <div className="page-head">
        <h1 id="history-title">Settings history</h1>
        <Link to="/admin/settings">Settings</Link>
      </div>
      <QueryView
        query={history}
        what="the history"
        isEmpty={(d) => d.items.length === 0}
        empty={<Empty title="No change yet">Every setting has its configuration-file value.</Empty>}
      >
        {(data) => (
          <>
            <ul className="plain stack">
              {data.items.map((item) => (
                <VersionCard
                  key={item.version}
                  item={item}
                  latest={latest}
                  mayRollBack={mayRollBack}
                  previewing={previewing === item.version}
                  onPreview={(open) => setPreviewing(open ? item.version : null)}
                />
              ))}
            </ul>
            <Pager page={data.page} perPage={data.perPage} total={data.total} onPage={setPage} />
            {mayRollBack && latest > 0 && (
              <div className="card">
                <h2>Configuration file</h2>
                <p className="muted">
                  Undo every runtime change: each setting returns to its configuration-file value.
                </p>
                {previewing === 0 ? (
                  <RollbackPreview version={0} latest={latest} onCancel={() => setPreviewing(null)} />
                ) : (
                  <button type="button" className="small" onClick={() => setPreviewing(0)}>
                    Roll back to the configuration file
                  </button>
                )}
              </div>
            )}
          </>
        )}
      </QueryView>
    </section>
  );
}
