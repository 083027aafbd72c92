// The API keys card: create a key (shown once), list and revoke keys.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useApi } from "../../../api/context";
import type { CreatedApiKey } from "../../../api/types";
import { Empty, errorMessage, Notice, QueryView } from "../../../components/Feedback";
import { formatRelative } from "../../../lib/format";
import { queries, keys } from "../../../api/queries";

export function ApiKeys() {
  const api = useApi();
  const client = useQueryClient();
  const apiKeys = useQuery(queries.apiKeys(api));
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [copied, setCopied] = useState(false);
  const refresh = () => void client.invalidateQueries({ queryKey: keys.apiKeys });
  const create = useMutation({
    mutationFn: () => api.createApiKey(name.trim(), password),
    onSuccess: (key) => {
      setCreated(key);
      setCopied(false);
      setName("");
      setPassword("");
      refresh();
    },
  });
  const revoke = useMutation({ mutationFn: (id: string) => api.revokeApiKey(id), onSuccess: refresh });

  return (
    <section className="card" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <p className="muted">For the browser extension, scripts and other tools. A key acts as you; keep it secret.</p>
      <form
        className="add-row"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <input
          name="keyName"
          aria-label="Key name"
          placeholder="Name, e.g. Browser extension"
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
        />
        <input
          name="keyPassword"
          type="password"
          autoComplete="current-password"
          aria-label="Your password"
          placeholder="Your password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
        <button type="submit" disabled={create.isPending}>
          Create key
        </button>
      </form>
      {create.isError && <Notice kind="error">{errorMessage(create.error)}</Notice>}
      {created && (
        <div className="secret" role="status">
          <p>
            <strong>Copy this key now.</strong> It is shown only once.
          </p>
          <code data-testid="new-api-key">{created.secret}</code>
          <button
            type="button"
            className="small"
            onClick={async () => {
              await navigator.clipboard.writeText(created.secret);
              setCopied(true);
            }}
          >
            {copied ? "Copied" : "Copy"}
          </button>
          <button type="button" className="link" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
      {revoke.isError && <Notice kind="error">{errorMessage(revoke.error)}</Notice>}
      <QueryView query={apiKeys} what="your keys" isEmpty={(d) => d.length === 0} empty={<Empty title="No keys yet" />}>
        {(list) => (
          <ul className="plain rows">
            {list.map((key) => (
              <li key={key.id} className="row">
                <div>
                  <strong>{key.name}</strong> <code>{key.prefix}…</code>
                  <div className="muted small-print">
                    works in {key.orgName} · created {formatRelative(key.createdAt)} · last used{" "}
                    {formatRelative(key.lastUsedAt)}
                  </div>
                </div>
                <button
                  type="button"
                  className="small"
                  onClick={() => revoke.mutate(key.id)}
                  aria-label={`Revoke ${key.name}`}
                >
                  Revoke
                </button>
              </li>
            ))}
          </ul>
        )}
      </QueryView>
    </section>
  );
}
