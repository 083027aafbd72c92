// The page the verification mail links to: confirms the address with the token in the link.
import { useMutation } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { useApi } from "../../api/context";
import { useTitle } from "../../components/useTitle";
import { errorMessage, Loading, Notice } from "../../components/Feedback";

export function VerifyEmail() {
  useTitle("Confirm your email");
  const api = useApi();
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const verify = useMutation({ mutationFn: (t: string) => api.verifyEmail(t) });
  const [email, setEmail] = useState("");
  const resend = useMutation({ mutationFn: (address: string) => api.resendVerification(address) });
  const { mutate } = verify;

  useEffect(() => {
    if (token) mutate(token);
  }, [token, mutate]);

  function again(event: FormEvent) {
    event.preventDefault();
    resend.mutate(email.trim());
  }

  return (
    <section className="page narrow card" aria-labelledby="verify-title">
      <h1 id="verify-title">Confirm your email</h1>
      {!token && <Notice kind="error">This link has no token. Open the link from the mail again.</Notice>}
      {verify.isPending && <Loading what="your confirmation" />}
      {verify.isSuccess && (
        <>
          <Notice kind="ok">Your email is confirmed.</Notice>
          <Link className="button primary" to="/login?verified=1">
            Sign in
          </Link>
        </>
      )}
      {verify.isError && (
        <>
          <Notice kind="error">{errorMessage(verify.error)}</Notice>
          <form onSubmit={again} className="stack">
            <label>
              Send a new link to
              <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
            </label>
            <button type="submit" disabled={resend.isPending}>
              Send a new link
            </button>
            {resend.isSuccess && <Notice kind="ok">{resend.data.message}</Notice>}
            {resend.isError && <Notice kind="error">{errorMessage(resend.error)}</Notice>}
          </form>
        </>
      )}
    </section>
  );
}
