// Profile, default destination, password, sessions and API keys.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useApi } from "../../api/context";
import type { CreatedApiKey, SessionInfo } from "../../api/types";
import { useTitle } from "../../components/Bits";
import { Empty, errorMessage, Notice, QueryView } from "../../components/State";
import { formatRelative } from "../../lib/format";
import { useSession } from "../../session";

function Profile() {
  const api = useApi();
  const client = useQueryClient();
  const { user } = useSession();
  const devices = useQuery({ queryKey: ["devices"], queryFn: () => api.devices() });
  const [name, setName] = useState(user?.displayName ?? "");
  const [device, setDevice] = useState(user?.defaultDeviceId ?? "");
  const save = useMutation({
    mutationFn: () => api.updateProfile({ displayName: name, defaultDeviceId: device }),
    onSuccess: (updated) => {
      client.setQueryData<SessionInfo | null>(["me"], (info) => (info ? { ...info, user: updated } : info));
    },
  });
  const live = (devices.data ?? []).filter((d) => !d.revoked);

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }

  return (
    <form className="card stack" onSubmit={submit} aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <label>
        Email
        <input value={user?.email ?? ""} readOnly />
      </label>
      <label>
        Display name
        <input name="displayName" value={name} maxLength={80} onChange={(e) => setName(e.target.value)} placeholder="How tseeder greets you" />
      </label>
      <label>
        New jobs go to
        <select name="defaultDestination" value={device} onChange={(e) => setDevice(e.target.value)}>
          <option value="">The cloud</option>
          {live.map((d) => (
            <option key={d.id} value={d.id}>
              My computer: {d.name}
            </option>
          ))}
        </select>
        <small className="muted">
          {live.length === 0
            ? "Sign in to the tseeder desktop app to send jobs to your own computer."
            : "Jobs sent to your computer download there while the desktop app runs."}
        </small>
      </label>
      {save.isSuccess && <Notice kind="ok">Saved.</Notice>}
      {save.isError && <Notice kind="error">{errorMessage(save.error)}</Notice>}
      <button type="submit" className="primary" disabled={save.isPending}>
        Save profile
      </button>
    </form>
  );
}

function Password() {
  const api = useApi();
  const client = useQueryClient();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [everywhere, setEverywhere] = useState(false);
  const change = useMutation({
    mutationFn: () => api.changePassword(current, next, everywhere),
    onSuccess: () => {
      setCurrent("");
      setNext("");
      void client.invalidateQueries({ queryKey: ["api-keys"] });
      void client.invalidateQueries({ queryKey: ["sessions"] });
    },
  });
  return (
    <form
      className="card stack"
      aria-labelledby="password-title"
      onSubmit={(e) => {
        e.preventDefault();
        change.mutate();
      }}
    >
      <h2 id="password-title">Password</h2>
      <label>
        Current password
        <input type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required />
      </label>
      <label>
        New password
        <input type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} required />
      </label>
      <label className="inline">
        <input type="checkbox" checked={everywhere} onChange={(e) => setEverywhere(e.target.checked)} />
        Also revoke every API key and device (other browsers are always signed out)
      </label>
      {change.isSuccess && <Notice kind="ok">{change.data.message}</Notice>}
      {change.isError && <Notice kind="error">{errorMessage(change.error)}</Notice>}
      <button type="submit" disabled={change.isPending}>
        Change password
      </button>
    </form>
  );
}

function Sessions() {
  const api = useApi();
  const client = useQueryClient();
  const sessions = useQuery({ queryKey: ["sessions"], queryFn: () => api.sessions() });
  const revoke = useMutation({
    mutationFn: (id: string) => api.revokeSession(id),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["sessions"] }),
  });
  return (
    <section className="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Signed-in sessions</h2>
      {revoke.isError && <Notice kind="error">{errorMessage(revoke.error)}</Notice>}
      <QueryView query={sessions} what="your sessions" isEmpty={(d) => d.length === 0} empty={<Empty title="No other sessions" />}>
        {(list) => (
          <ul className="plain rows">
            {list.map((s) => (
              <li key={s.id} className="row">
                <div>
                  <strong>{s.userAgent ?? "Unknown browser"}</strong>
                  {s.current && <span className="badge">This browser</span>}
                  <div className="muted small-print">
                    {s.ip ?? "unknown address"} · signed in {formatRelative(s.createdAt)} · last seen {formatRelative(s.lastSeenAt)}
                  </div>
                </div>
                {!s.current && (
                  <button type="button" className="small" onClick={() => revoke.mutate(s.id)}>
                    Sign out
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </QueryView>
    </section>
  );
}

function ApiKeys() {
  const api = useApi();
  const client = useQueryClient();
  const keys = useQuery({ queryKey: ["api-keys"], queryFn: () => api.apiKeys() });
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [copied, setCopied] = useState(false);
  const refresh = () => void client.invalidateQueries({ queryKey: ["api-keys"] });
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
        <input name="keyName" aria-label="Key name" placeholder="Name, e.g. Browser extension" value={name} onChange={(e) => setName(e.target.value)} required />
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
      <QueryView query={keys} what="your keys" isEmpty={(d) => d.length === 0} empty={<Empty title="No keys yet" />}>
        {(list) => (
          <ul className="plain rows">
            {list.map((key) => (
              <li key={key.id} className="row">
                <div>
                  <strong>{key.name}</strong> <code>{key.prefix}…</code>
                  <div className="muted small-print">
                    created {formatRelative(key.createdAt)} · last used {formatRelative(key.lastUsedAt)}
                  </div>
                </div>
                <button type="button" className="small" onClick={() => revoke.mutate(key.id)} aria-label={`Revoke ${key.name}`}>
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

export function SettingsPage() {
  useTitle("Settings");
  return (
    <section className="page" aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <div className="grid two">
        <Profile />
        <Password />
      </div>
      <Sessions />
      <ApiKeys />
    </section>
  );
}
