// The user's organizations (their personal one first), the one they work in, and a new team.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { useApi } from "../../../api/context";
import { keys, queries } from "../../../api/queries";
import { errorMessage, Notice, QueryView } from "../../../components/Feedback";
import { useTitle } from "../../../components/useTitle";
import { useWorkIn } from "../../../components/OrgSwitcher";

export function Organizations() {
  useTitle("Organizations");
  const api = useApi();
  const client = useQueryClient();
  const navigate = useNavigate();
  const orgs = useQuery(queries.orgs(api));
  const [name, setName] = useState("");
  const workIn = useWorkIn();
  const create = useMutation({
    mutationFn: () => api.createOrg(name.trim()),
    onSuccess: (detail) => {
      void client.invalidateQueries({ queryKey: keys.orgs });
      void navigate(`/orgs/${detail.org.id}`);
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }

  return (
    <section className="page" aria-labelledby="orgs-title">
      <h1 id="orgs-title">Organizations</h1>
      <p className="muted">Teams share what they download: invite people by email and give them a role.</p>
      <QueryView query={orgs} what="your organizations">
        {(list) => (
          <ul className="plain rows" aria-label="Your organizations">
            {list.map((org) => (
              <li key={org.id} className="row">
                <div>
                  <Link to={`/orgs/${org.id}`}>
                    <strong>{org.name}</strong>
                  </Link>{" "}
                  {org.personal && <span className="badge">Personal</span>}
                  <div className="muted small-print">
                    {org.role} · {org.members} {org.members === 1 ? "member" : "members"} · {org.planId} plan
                  </div>
                </div>
                {org.current ? (
                  <span className="badge" aria-label={`Working in ${org.name}`}>
                    Working here
                  </span>
                ) : (
                  <button
                    type="button"
                    className="small"
                    disabled={workIn.isPending}
                    onClick={() => workIn.mutate(org.id)}
                    aria-label={`Work in ${org.name}`}
                  >
                    Work here
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </QueryView>
      <form className="card add-row" onSubmit={submit} aria-label="New organization">
        <input
          aria-label="Organization name"
          placeholder="Name of a new organization"
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
        />
        <button type="submit" className="primary" disabled={create.isPending}>
          Create organization
        </button>
      </form>
      {create.isError && <Notice kind="error">{errorMessage(create.error)}</Notice>}
      {workIn.isError && <Notice kind="error">{errorMessage(workIn.error)}</Notice>}
    </section>
  );
}
