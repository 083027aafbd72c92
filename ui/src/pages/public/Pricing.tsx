// The plans for everyone to compare, with the way to each: sign up, or subscribe through
// Stripe Checkout when signed in and the plan is for sale.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { useApi } from "../../api/context";
import { queries } from "../../api/queries";
import type { Plan } from "../../api/types";
import { errorMessage, Notice, QueryView } from "../../components/Feedback";
import { PlanTable } from "../../components/PlanTable";
import { useTitle } from "../../components/useTitle";
import { useSession } from "../../session";
import { useBillingRedirects } from "../user/settings/Billing";

export function Pricing() {
  useTitle("Pricing");
  const api = useApi();
  const { user } = useSession();
  const plans = useQuery(queries.plans(api));
  const billing = useQuery({ ...queries.billing(api, user?.id), enabled: Boolean(user) });
  const { checkout } = useBillingRedirects();
  const current = billing.data?.plan.id;
  const subscribed = billing.data?.subscription && billing.data.subscription.status !== "canceled";

  function action(plan: Plan) {
    if (!user) {
      return plan.priceCents === 0 ? <Link to="/signup">Sign up</Link> : <Link to="/signup">Sign up to subscribe</Link>;
    }
    if (plan.id === current) return null;
    if (billing.data?.purchasable.includes(plan.id)) {
      return subscribed ? (
        <Link to="/settings">Change in billing</Link>
      ) : (
        <button
          type="button"
          className="small primary"
          disabled={checkout.isPending}
          onClick={() => checkout.mutate(plan.id)}
        >
          Subscribe to {plan.name}
        </button>
      );
    }
    return null;
  }

  return (
    <section className="page" aria-labelledby="pricing-title">
      <h1 id="pricing-title">Pricing</h1>
      <p className="muted">
        Every plan downloads in the cloud and keeps your files for you; paid plans keep more, longer.
      </p>
      <QueryView query={plans} what="the plans">
        {(list) => <PlanTable plans={list} current={current} action={action} />}
      </QueryView>
      {billing.data && !billing.data.enabled && (
        <p className="muted">Plans on this service are assigned by its operators; contact them to change yours.</p>
      )}
      {checkout.isError && <Notice kind="error">{errorMessage(checkout.error)}</Notice>}
    </section>
  );
}
