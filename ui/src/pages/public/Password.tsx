// Forgotten password: ask for a reset mail, then set a new password from its link.
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { useApi } from "../../api/context";
import { useTitle } from "../../components/useTitle";
import { errorMessage, Notice } from "../../components/Feedback";
import { useSiteConfig } from "../../session";

export function ForgotPassword() {
  useTitle("Forgot password");
  const api = useApi();
  const [email, setEmail] = useState("");
  const request = useMutation({ mutationFn: (address: string) => api.requestPasswordReset(address) });

  function submit(event: FormEvent) {
    event.preventDefault();
    request.mutate(email.trim());
  }

  return (
    <section className="page narrow card" aria-labelledby="forgot-title">
      <h1 id="forgot-title">Forgot your password?</h1>
      <p className="muted">Give your account's email and we will mail you a link to choose a new password.</p>
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
        {request.isSuccess && <Notice kind="ok">{request.data.message}</Notice>}
        {request.isError && <Notice kind="error">{errorMessage(request.error)}</Notice>}
        <button type="submit" className="primary" disabled={request.isPending}>
          Send the link
        </button>
      </form>
      <p className="muted">
        <Link to="/login">Back to sign in</Link>
      </p>
    </section>
  );
}

export function ResetPassword() {
  useTitle("Choose a new password");
  const api = useApi();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const config = useSiteConfig();
  const minChars = config.data?.minPasswordChars ?? 10;
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const confirm = useMutation({
    mutationFn: () => api.confirmPasswordReset(token, password),
    onSuccess: () => navigate("/login?reset=1"),
    onError: (err) => setProblem(errorMessage(err)),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    if (password.length < minChars) return setProblem(`Use at least ${minChars} characters.`);
    if (password !== repeat) return setProblem("The two passwords differ.");
    setProblem(null);
    confirm.mutate();
  }

  return (
    <section className="page narrow card" aria-labelledby="reset-title">
      <h1 id="reset-title">Choose a new password</h1>
      {!token && <Notice kind="error">This link has no token. Open the link from the mail again.</Notice>}
      <form onSubmit={submit} className="stack">
        <label>
          New password
          <input
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        <label>
          Repeat it
          <input
            type="password"
            autoComplete="new-password"
            value={repeat}
            onChange={(e) => setRepeat(e.target.value)}
            required
          />
        </label>
        {problem && <Notice kind="error">{problem}</Notice>}
        <button type="submit" className="primary" disabled={!token || confirm.isPending}>
          Change password
        </button>
      </form>
    </section>
  );
}
