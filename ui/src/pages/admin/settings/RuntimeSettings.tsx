// The settings operators change while the service runs, grouped as the server groups them. Edits
// collect as pending changes and are applied together as one version, with a reason and ticket;
// a changed setting can be returned to its configuration-file value.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { useApi } from "../../../api/context";
import { keys, queries } from "../../../api/queries";
import type { RuntimeSetting } from "../../../api/types";
import { useConfirm } from "../../../components/ConfirmDialog";
import { QueryView } from "../../../components/Feedback";
import { useTitle } from "../../../components/useTitle";
import { hasRole, useSession } from "../../../session";
import { Diff, showValue } from "./Diff";

const GROUP_TITLE: Record<string, string> = {
  registration: "Registration",
  maintenance: "Maintenance",
  plans: "Plans",
  dispatch: "Dispatch",
  alerts: "Alert thresholds",
  retention: "Retention",
};

/** Pending edits: key → new value (`null`: back to the default). */
type Pending = Record<string, unknown>;

function Editor({
  setting,
  value,
  disabled,
  onChange,
}: {
  setting: RuntimeSetting;
  value: unknown;
  disabled: boolean;
  onChange: (value: unknown) => void;
}) {
  const id = `setting-${setting.key}`;
  if (setting.type === "boolean") {
    return (
      <input
        id={id}
        type="checkbox"
        checked={value === true}
        disabled={disabled}
        onChange={(e) => onChange(e.target.checked)}
      />
    );
  }
  if (setting.type === "integer") {
    return (
      <input
        id={id}
        type="number"
        inputMode="numeric"
        min={setting.min ?? undefined}
        max={setting.max ?? undefined}
        step={1}
        value={typeof value === "number" ? value : ""}
        disabled={disabled}
        onChange={(e) => onChange(e.target.value === "" ? "" : Number(e.target.value))}
      />
    );
  }
  return (
    <input
      id={id}
      type="text"
      value={typeof value === "string" ? value : ""}
      disabled={disabled}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}

export function RuntimeSettingsPage() {
  useTitle("Settings");
  const api = useApi();
  const client = useQueryClient();
  const { user } = useSession();
  const query = useQuery(queries.runtimeSettings(api));
  const [pending, setPending] = useState<Pending>({});
  const { ask, dialog } = useConfirm(() => {
    setPending({});
    for (const key of [keys.runtimeSettings, keys.settingsHistory, keys.siteConfig, keys.plans]) {
      void client.invalidateQueries({ queryKey: key });
    }
  });

  return (
    <section aria-labelledby="settings-title">
      <div className="page-head">
        <h1 id="settings-title">Settings</h1>
        <Link to="/admin/settings/history">History</Link>
      </div>
      <p className="muted">
        Changes apply at once on every server, without a restart. Each set of changes is a version you can roll back;
        the configuration file’s values are the defaults.
      </p>
      <QueryView query={query} what="settings">
        {(data) => {
          const current = new Map(data.settings.map((s) => [s.key, s]));
          const changes = Object.entries(pending)
            .filter(([key, value]) => {
              const setting = current.get(key);
              if (!setting) return false;
              return JSON.stringify(value === null ? setting.default : value) !== JSON.stringify(setting.value);
            })
            .map(([key, value]) => ({
              key,
              old: current.get(key)?.value,
              new: value === null ? current.get(key)?.default : value,
            }));
          const groups = [...new Set(data.settings.map((s) => s.group))];
          return (
            <>
              {groups.map((group) => (
                <section key={group} className="card" aria-labelledby={`group-${group}`}>
                  <h2 id={`group-${group}`}>{GROUP_TITLE[group] ?? group}</h2>
                  <div className="table-scroll">
                    <table className="table">
                      <thead>
                        <tr>
                          <th scope="col">Setting</th>
                          <th scope="col">Value</th>
                          <th scope="col">Default</th>
                          <th scope="col">
                            <span className="sr-only">Actions</span>
                          </th>
                        </tr>
                      </thead>
                      <tbody>
                        {data.settings
                          .filter((s) => s.group === group)
                          .map((setting) => {
                            const mayEdit = hasRole(user, setting.editableBy);
                            const edited = setting.key in pending;
                            const shown = edited
                              ? pending[setting.key] === null
                                ? setting.default
                                : pending[setting.key]
                              : setting.value;
                            return (
                              <tr key={setting.key} className={edited ? "edited" : undefined}>
                                <td>
                                  <label htmlFor={`setting-${setting.key}`}>{setting.description}</label>
                                  <div className="muted small-print mono">
                                    {setting.key}
                                    {setting.editableBy === "superadmin" && " · superadmin only"}
                                  </div>
                                </td>
                                <td>
                                  <Editor
                                    setting={setting}
                                    value={shown}
                                    disabled={!mayEdit}
                                    onChange={(value) => setPending((p) => ({ ...p, [setting.key]: value }))}
                                  />
                                </td>
                                <td className="muted">{showValue(setting.default)}</td>
                                <td>
                                  {mayEdit && setting.changed && !edited && (
                                    <button
                                      type="button"
                                      className="small"
                                      onClick={() => setPending((p) => ({ ...p, [setting.key]: null }))}
                                    >
                                      Use default
                                    </button>
                                  )}
                                  {setting.changed && !edited && <span className="badge">changed</span>}
                                </td>
                              </tr>
                            );
                          })}
                      </tbody>
                    </table>
                  </div>
                </section>
              ))}
              {hasRole(user, "admin") && (
                <div className="actions sticky-actions">
                  <span className="muted" role="status">
                    {changes.length === 0
                      ? "No pending change"
                      : `${changes.length} pending change${changes.length === 1 ? "" : "s"}`}
                  </span>
                  <button type="button" disabled={Object.keys(pending).length === 0} onClick={() => setPending({})}>
                    Discard
                  </button>
                  <button
                    type="button"
                    className="primary"
                    disabled={changes.length === 0}
                    onClick={() =>
                      ask({
                        title: "Apply settings",
                        description: `${changes.map((c) => `${c.key}: ${showValue(c.old)} → ${showValue(c.new)}`).join("; ")}. They take effect at once, as version ${data.version + 1}.`,
                        word: "APPLY",
                        actionLabel: "Apply",
                        run: (why) =>
                          api.changeSettings(
                            Object.fromEntries(changes.map((c) => [c.key, pending[c.key]])),
                            data.version,
                            why,
                          ),
                      })
                    }
                  >
                    Review and apply
                  </button>
                </div>
              )}
              {changes.length > 0 && <Diff changes={changes} label="Pending changes" before="Now" after="Pending" />}
            </>
          );
        }}
      </QueryView>
      {dialog}
    </section>
  );
}
