// A user's plan as billing sees it (the Stripe subscription behind it, if any), and for admins
// the plan set by hand, justified like every operator action.
import { useQuery } from "@tanstack/react-query";
import { useApi } from "../../api/context";
import { queries } from "../../api/queries";
import type { ConfirmRequest } from "../../components/ConfirmDialog";
import { QueryView } from "../../components/Feedback";
import { subscriptionSummary } from "../user/settings/Billing";
import { PlanChanger } from "./PlanChanger";

export function UserBilling({
  userId,
  email,
  canAct,
  ask,
}: {
  userId: string;
  email: string;
  canAct: boolean;
  ask: (request: ConfirmRequest) => void;
}) {
  const api = useApi();
  const billing = useQuery(queries.adminUserBilling(api, userId));

  return (
    <section className="card stack" aria-labelledby="user-billing-title">
      <h2 id="user-billing-title">Plan and billing</h2>
      <QueryView query={billing} what="their billing">
        {(data) => (
          <>
            <dl className="facts">
              <dt>Plan</dt>
              <dd data-testid="user-plan">{data.plan.name}</dd>
              <dt>Subscription</dt>
              <dd data-testid="user-subscription">
                {data.subscription ? `${data.subscription.planId}: ${subscriptionSummary(data.subscription)}` : "none"}
              </dd>
              <dt>Stripe customer</dt>
              <dd>{data.hasBillingAccount ? "yes" : "no"}</dd>
            </dl>
            {canAct && (
              <PlanChanger
                current={data.plan.id}
                ask={ask}
                confirm={(plan) => ({
                  title: `Put ${email} on ${plan}`,
                  description: data.subscription
                    ? "They pay through Stripe: the next change of their subscription sets the plan again."
                    : `Their plan changes from ${data.plan.id} to ${plan}.`,
                  word: "PLAN",
                  actionLabel: "Change plan",
                  run: (why) => api.changePlan(userId, plan, why),
                })}
              />
            )}
          </>
        )}
      </QueryView>
    </section>
  );
}
