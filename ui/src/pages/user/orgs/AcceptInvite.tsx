// The page an invitation mail links to: a signed-in user accepts it; anyone else signs in first
// and comes back here.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link, useSearchParams } from "react-router";
import { useApi } from "../../../api/context";
import { keys } from "../../../api/queries";
import { errorMessage, Loading, Notice } from "../../../components/Feedback";
import { useTitle } from "../../../components/useTitle";
import { useSession } from "../../../session";

export function AcceptInvite() {
  useTitle("Invitation");
  const api = useApi();
  const client = useQueryClient();
  const { user, isPending } = useSession();
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const accept = useMutation({
    mutationFn: () => api.acceptInvite(token),
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.orgs }),
  });
  const here = `/invites/accept?token=${encodeURIComponent(token)}`;

  return (
    <section className="page narrow card stack" aria-labelledby="invite-title">
      <h1 id="invite-title">Join an organization</h1>
      {!token && <Notice kind="error">This link has no token. Open the link from the mail again.</Notice>}
      {isPending && <Loading what="your account" />}
      {!isPending && !user && (
        <p>
          <Link className="button primary" to={`/login?next=${encodeURIComponent(here)}`}>
            Sign in to accept
          </Link>{" "}
          with the address the invitation was sent to, or <Link to="/signup">create an account</Link> with it first.
        </p>
      )}
      {user && !accept.isSuccess && (
        <>
          <p>
            Accept as <strong>{user.email}</strong>?
          </p>
          <button
            type="button"
            className="primary"
            disabled={!token || accept.isPending}
            onClick={() => accept.mutate()}
          >
            Accept invitation
          </button>
        </>
      )}
      {accept.isSuccess && (
        <Notice kind="ok">
          You joined {accept.data.name} as {accept.data.role}. <Link to={`/orgs/${accept.data.id}`}>Open it</Link>
        </Notice>
      )}
      {accept.isError && <Notice kind="error">{errorMessage(accept.error)}</Notice>}
    </section>
  );
}
