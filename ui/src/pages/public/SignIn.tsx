// Sign in with email and password; goes back to the page that asked for it.
import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { useApi } from "../../api/context";
import { useTitle } from "../../components/useTitle";
import { errorMessage, Notice } from "../../components/Feedback";
import { keys } from "../../api/queries";

/** Only same-site paths are followed after sign-in, never another origin. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/jobs";
  return next;
}

export function SignIn() {
  useTitle("Sign in");
  const api = useApi();
  const client = useQueryClient();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const info = await api.login(email.trim(), password);
      client.setQueryData(keys.me, info);
      navigate(safeNext(params.get("next")), { replace: true });
    } catch (err) {
      setProblem(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="page narrow card" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      {params.get("verified") && <Notice kind="ok">Your email is confirmed. Sign in to start.</Notice>}
      {params.get("reset") && <Notice kind="ok">Your password is changed. Sign in with the new one.</Notice>}
      <form onSubmit={submit} className="stack">
        <label>
          Email
          <input
            type="email"
            name="email"
            autoComplete="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            required
          />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        {problem && <Notice kind="error">{problem}</Notice>}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p className="muted">
        <Link to="/forgot-password">Forgot your password?</Link> · New here? <Link to="/signup">Create an account</Link>
      </p>
    </section>
  );
}
