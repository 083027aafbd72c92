// The desktop app's account card: sign in to a tseeder cloud, see the plan's use, sign out.
import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Notice, errorMessage } from "../../components/Feedback";
import { formatBytes } from "../../lib/format";
import type { AppState, DesktopApi } from "../api";
import { queries } from "../../api/queries";

export function Account({ api, state, onChange }: { api: DesktopApi; state: AppState; onChange: () => void }) {
  const [cloudUrl, setCloudUrl] = useState(state.settings.cloudUrl);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [key, setKey] = useState("");
  const [withKey, setWithKey] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const usage = useQuery({ ...queries.usage(api.cloud, state.user?.id), enabled: state.signedIn });

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
            {usage.data.plan.name} plan · {formatBytes(usage.data.storageBytes)} stored · {usage.data.activeJobs} active
            jobs
          </p>
        )}
        <p className="muted small-print">
          {state.deviceId
            ? "This computer takes the jobs you send to it from the web console or the extension."
            : "This computer is not registered as a device."}
        </p>
        {error && <Notice kind="error">{error}</Notice>}
        <button
          type="button"
          onClick={() => void api.signOut().then(onChange, (err: unknown) => setError(errorMessage(err)))}
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
          <input
            type="text"
            inputMode="url"
            required
            value={cloudUrl}
            onChange={(e) => setCloudUrl(e.target.value)}
            name="cloudUrl"
            aria-describedby="cloud-url-hint"
          />
        </label>
        <p className="muted" id="cloud-url-hint">
          One address, or several replicas&apos; separated by commas: the app goes on to the next when one cannot be
          reached.
        </p>
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
            <input
              type="password"
              required
              value={key}
              onChange={(e) => setKey(e.target.value)}
              name="key"
              autoComplete="off"
            />
          </label>
        ) : (
          <>
            <label>
              Email
              <input
                type="email"
                required
                value={email}
                onChange={(e) => setEmail(e.target.value)}
                name="email"
                autoComplete="username"
              />
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
        <p className="small-print muted">
          Your password is used once to create a key for this computer, kept in the system keyring.
        </p>
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
