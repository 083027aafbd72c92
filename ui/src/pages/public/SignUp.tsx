// Create an account: email, password, the acceptable use policy, and a captcha when the server
// asks for one. The verification mail finishes it.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useApi } from "../../api/context";
import type { SiteConfig } from "../../api/types";

type CaptchaWidget = NonNullable<SiteConfig["captcha"]>;
import { useTitle } from "../../components/useTitle";
import { errorMessage, Notice } from "../../components/Feedback";
import { useSiteConfig } from "../../session";

interface Turnstile {
  render(
    element: HTMLElement,
    options: { sitekey: string; callback: (token: string) => void; "expired-callback"?: () => void },
  ): string;
  remove?(id: string): void;
}

declare global {
  interface Window {
    turnstile?: Turnstile;
  }
}

/** Loads the configured widget script once and renders the widget; reports its token. */
function Captcha({ widget, onToken }: { widget: CaptchaWidget; onToken: (token: string | null) => void }) {
  const box = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let cancelled = false;
    const render = () => {
      if (cancelled || !box.current || !window.turnstile) return;
      box.current.replaceChildren();
      window.turnstile.render(box.current, {
        sitekey: widget.siteKey,
        callback: (token) => onToken(token),
        "expired-callback": () => onToken(null),
      });
    };
    if (window.turnstile) {
      render();
    } else {
      const script = document.createElement("script");
      script.src = widget.scriptUrl;
      script.async = true;
      script.onload = render;
      script.onerror = () => setFailed(true);
      document.head.appendChild(script);
    }
    return () => {
      cancelled = true;
    };
  }, [widget.siteKey, widget.scriptUrl, onToken]);
  return (
    <div className="captcha">
      <div ref={box} data-testid="captcha" />
      {failed && <Notice kind="error">The captcha could not load. Check your connection and reload.</Notice>}
    </div>
  );
}

export function SignUp() {
  useTitle("Sign up");
  const api = useApi();
  const config = useSiteConfig();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [accepted, setAccepted] = useState(false);
  const [captchaToken, setCaptchaToken] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const minChars = config.data?.minPasswordChars ?? 10;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    if (password.length < minChars) return setProblem(`Use a password of at least ${minChars} characters.`);
    if (!accepted) return setProblem("Accept the acceptable use policy to create an account.");
    if (config.data?.captcha && !captchaToken) return setProblem("Complete the captcha first.");
    setBusy(true);
    try {
      await api.register({ email: email.trim(), password, acceptedAup: accepted, captchaToken });
      setDone(email.trim());
    } catch (err) {
      setProblem(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  if (done) {
    return (
      <section className="page narrow card" aria-labelledby="signup-title">
        <h1 id="signup-title">Check your inbox</h1>
        <p>
          We sent a confirmation link to <strong>{done}</strong>. Open it to finish creating your account, then{" "}
          <Link to="/login">sign in</Link>.
        </p>
      </section>
    );
  }

  if (config.data && !config.data.registrationOpen) {
    return (
      <section className="page narrow card" aria-labelledby="signup-title">
        <h1 id="signup-title">Sign-up is closed</h1>
        <p>New accounts cannot be created for now. Please come back later.</p>
        <p>
          Already have an account? <Link to="/login">Sign in</Link>.
        </p>
      </section>
    );
  }

  return (
    <section className="page narrow card" aria-labelledby="signup-title">
      <h1 id="signup-title">Create your account</h1>
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
            autoComplete="new-password"
            minLength={minChars}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            aria-describedby="password-hint"
          />
          <small id="password-hint" className="muted">
            At least {minChars} characters. A few unrelated words make a strong one.
          </small>
        </label>
        <label className="check">
          <input
            type="checkbox"
            name="acceptedAup"
            checked={accepted}
            onChange={(e) => setAccepted(e.target.checked)}
          />
          <span>I will only fetch content I have the right to, as the acceptable use policy asks.</span>
        </label>
        {config.data?.captcha && <Captcha widget={config.data.captcha} onToken={setCaptchaToken} />}
        {problem && <Notice kind="error">{problem}</Notice>}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Creating…" : "Create account"}
        </button>
      </form>
      <p className="muted">
        Already have an account? <Link to="/login">Sign in</Link>
      </p>
    </section>
  );
}
