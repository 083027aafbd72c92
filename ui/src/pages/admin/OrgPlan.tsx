// An organization's plan, the subscription behind it and what its jobs use of it, and for admins
// a team's plan set by hand, justified like every operator action. A personal organization
// follows its user's plan.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { useApi } from "../../api/context";
import type { AdminOrgDetail } from "../../api/types";
import type { ConfirmRequest } from "../../components/ConfirmDialog";
import { queries } from "../../api/queries";
import { formatBytes } from "../../lib/format";
import { subscriptionSummary } from "../user/settings/Billing";
import { PlanChanger } from "./PlanChanger";

export function OrgPlan({
  detail,
  canAct,
  ask,
}: {
  detail: AdminOrgDetail;
  canAct: boolean;
  ask: (request: ConfirmRequest) => void;
}) {
  const api = useApi();
  const { org, usage } = detail;
  const billing = useQuery(queries.adminOrgBilling(api, org.id));
  const owner = detail.members.find((m) => m.role === "owner");
  return (
    <section className="card stack" aria-labelledby="org-plan-title">
      <h2 id="org-plan-title">Plan and usage</h2>
      <dl className="facts">
        <dt>Plan</dt>
        <dd data-testid="org-plan">{usage.plan.name}</dd>
        <dt>Active jobs</dt>
        <dd>
          {usage.activeJobs} of {usage.plan.maxActiveJobs}
        </dd>
        <dt>Storage</dt>
        <dd>
          {formatBytes(usage.storageBytes)} of {formatBytes(usage.plan.maxStorageBytes)}
        </dd>
        <dt>Jobs so far</dt>
        <dd>{usage.totalJobs}</dd>
        <dt>Subscription</dt>
        <dd data-testid="org-subscription">
          {billing.data?.subscription
            ? `${billing.data.subscription.planId}: ${subscriptionSummary(billing.data.subscription)}`
            : billing.isError
              ? "could not be read"
              : "none"}
        </dd>
      </dl>
      {org.personal ? (
        <p className="muted">
          A personal organization is on its user's plan
          {owner && (
            <>
              : change it on <Link to={`/admin/users/${owner.userId}`}>{owner.email}</Link>
            </>
          )}
          .
        </p>
      ) : (
        canAct && (
          <PlanChanger
            current={usage.plan.id}
            ask={ask}
            confirm={(plan) => ({
              title: `Put ${org.name} on ${plan}`,
              description: `Every member's jobs then count against ${plan} instead of ${usage.plan.id}.`,
              word: "PLAN",
              actionLabel: "Change plan",
              run: (why) => api.changeOrgPlan(org.id, plan, why),
            })}
          />
        )
      )}
    </section>
  );
}
