// Settings: the cloud account (sign in with email and password or a pasted key; sign out),
// folders, default destination, sync, speed limits, start at login, this computer as a device.
import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Notice, errorMessage } from "../components/State";
import { formatBytes } from "../lib/format";
import type { AppState, DesktopApi, DesktopSettings, Remembered } from "./api";

function Account({ api, state, onChange }: { api: DesktopApi; state: AppState; onChange: () => void }) {
  const [cloudUrl, setCloudUrl] = useState(state.settings.cloudUrl);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [key, setKey] = useState("");
  const [withKey, setWithKey] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const usage = useQuery({ queryKey: ["usage", state.user?.id], queryFn: () => api.cloud.usage(), enabled: state.signedIn });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (withKey) await api.signInWithKey(cloudUrl, key);
      else await api.signIn(cloudUrl, email, password);
      setPassword("");
      setKey("");
      onChange();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  if (state.signedIn) {
    return (
      <section className="card" aria-labelledby="account-title">
        <h2 id="account-title">Cloud account</h2>
        <p id="signed-in-as">
          Signed in as <strong>{state.user?.email ?? "…"}</strong> at {state.settings.cloudUrl}
        </p>
        {usage.data && (
          <p className="muted small-print">
            {usage.data.plan.name} plan · {formatBytes(usage.data.storageBytes)} stored · {usage.data.activeJobs} active jobs
          </p>
        )}
        <p className="muted small-print">
          {state.deviceId ? "This computer takes the jobs you send to it from the web console or the extension." : "This computer is not registered as a device."}
        </p>
        {error && <Notice kind="error">{error}</Notice>}
        <button
          type="button"
          onClick={() =>
            void api.signOut().then(onChange, (err: unknown) => setError(errorMessage(err)))
          }
        >
          Sign out
        </button>
      </section>
    );
  }
  return (
    <section className="card" aria-labelledby="account-title">
      <h2 id="account-title">Cloud account</h2>
      <form className="stack" onSubmit={(e) => void submit(e)} id="sign-in-form">
        <label>
          Cloud address
          <input type="url" required value={cloudUrl} onChange={(e) => setCloudUrl(e.target.value)} name="cloudUrl" />
        </label>
        <div className="segmented" role="radiogroup" aria-label="Sign in with">
          <label className={!withKey ? "on" : ""}>
            <input type="radio" name="how" checked={!withKey} onChange={() => setWithKey(false)} />
            Email and password
          </label>
          <label className={withKey ? "on" : ""}>
            <input type="radio" name="how" checked={withKey} onChange={() => setWithKey(true)} />
            API key
          </label>
        </div>
        {withKey ? (
          <label>
            API key
            <input type="password" required value={key} onChange={(e) => setKey(e.target.value)} name="key" autoComplete="off" />
          </label>
        ) : (
          <>
            <label>
              Email
              <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} name="email" autoComplete="username" />
            </label>
            <label>
              Password
              <input
                type="password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                name="password"
                autoComplete="current-password"
              />
            </label>
          </>
        )}
        <p className="small-print muted">Your password is used once to create a key for this computer, kept in the system keyring.</p>
        {error && <Notice kind="error">{error}</Notice>}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </div>
      </form>
    </section>
  );
}

function Preferences({ api, settings, onChange }: { api: DesktopApi; settings: DesktopSettings; onChange: () => void }) {
  const [draft, setDraft] = useState(settings);
  const [note, setNote] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const set = <K extends keyof DesktopSettings>(key: K, value: DesktopSettings[K]) => setDraft({ ...draft, [key]: value });
  const limit = (key: "downloadLimitKib" | "uploadLimitKib" | "syncLimitKib", label: string) => (
    <label>
      {label} (KiB/s, 0 for no limit)
      <input type="number" min={0} value={draft[key]} onChange={(e) => set(key, Math.max(0, Number(e.target.value) || 0))} />
    </label>
  );
  const save = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const saved = await api.saveSettings(draft);
      setDraft(saved);
      setNote({ kind: "ok", text: "Saved." });
      onChange();
    } catch (err) {
      setNote({ kind: "error", text: errorMessage(err) });
    }
  };
  return (
    <form className="card stack" aria-labelledby="prefs-title" onSubmit={(e) => void save(e)}>
      <h2 id="prefs-title">Downloads and sync</h2>
      <label>
        New torrents go
        <select value={draft.defaultDestination} onChange={(e) => set("defaultDestination", e.target.value as Remembered)}>
          <option value="ask">Where I choose each time</option>
          <option value="alwaysCloud">To the cloud</option>
          <option value="alwaysLocal">To this computer</option>
        </select>
      </label>
      <label className="inline">
        <input
          id="add-without-asking"
          type="checkbox"
          checked={draft.addWithoutAsking}
          disabled={draft.defaultDestination === "ask"}
          onChange={(e) => set("addWithoutAsking", e.target.checked)}
        />
        Add without showing the Add dialog (links from web pages then start at once)
      </label>
      <label>
        Download folder
        <input value={draft.downloadDir} onChange={(e) => set("downloadDir", e.target.value)} />
      </label>
      <label>
        Sync folder
        <input value={draft.syncDir} onChange={(e) => set("syncDir", e.target.value)} />
      </label>
      <label className="inline">
        <input type="checkbox" checked={draft.syncEnabled} onChange={(e) => set("syncEnabled", e.target.checked)} />
        Copy finished cloud downloads to the sync folder
      </label>
      <label className="inline">
        <input type="checkbox" checked={draft.deleteCloudAfterSync} onChange={(e) => set("deleteCloudAfterSync", e.target.checked)} />
        Delete the cloud copy once it is synced and checked
      </label>
      {limit("downloadLimitKib", "Download speed")}
      {limit("uploadLimitKib", "Upload speed")}
      {limit("syncLimitKib", "Sync speed")}
      <label className="inline">
        <input type="checkbox" checked={draft.personalAgent} onChange={(e) => set("personalAgent", e.target.checked)} />
        Take the jobs I send to this computer from the web console or the extension
      </label>
      <label className="inline">
        <input type="checkbox" checked={draft.notifications} onChange={(e) => set("notifications", e.target.checked)} />
        Notify me when downloads finish, fail or sync
      </label>
      <label className="inline">
        <input type="checkbox" checked={draft.startAtLogin} onChange={(e) => set("startAtLogin", e.target.checked)} />
        Start tseeder when I log in
      </label>
      {note && <Notice kind={note.kind}>{note.text}</Notice>}
      <div className="actions">
        <button type="submit" className="primary">
          Save settings
        </button>
      </div>
    </form>
  );
}

export function Settings({ api, state, onChange }: { api: DesktopApi; state: AppState; onChange: () => void }) {
  return (
    <section aria-label="Settings">
      <Account api={api} state={state} onChange={onChange} />
      <Preferences key={JSON.stringify(state.settings)} api={api} settings={state.settings} onChange={onChange} />
      <p className="muted small-print">tseeder {state.version}</p>
    </section>
  );
}
