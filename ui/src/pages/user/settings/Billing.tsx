// The billing card of the organization one works in: the plan in force and the subscription
// behind it, and for its owner upgrading through Stripe Checkout, managing (plan change, card,
// cancellation) through Stripe's Customer Portal, and the invoices Stripe keeps.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useSearchParams } from "react-router";
import { useApi } from "../../../api/context";
import type { BillingOverview, Invoice, Plan, Subscription } from "../../../api/types";
import { errorMessage, Notice, QueryView } from "../../../components/Feedback";
import { formatDate, formatMoney } from "../../../lib/format";
import { queries } from "../../../api/queries";
import { useSession } from "../../../session";
import { useWorkingOrg } from "../../../components/OrgSwitcher";

/** Sends the browser to Stripe: a Checkout for a plan, or the Customer Portal. */
export function useBillingRedirects() {
  const api = useApi();
  const go = ({ url }: { url: string }) => window.location.assign(url);
  const checkout = useMutation({ mutationFn: (plan: string) => api.startCheckout(plan), onSuccess: go });
  const portal = useMutation({ mutationFn: () => api.openBillingPortal(), onSuccess: go });
  return { checkout, portal };
}

/** A subscription in words: what it is and what happens next. */
export function subscriptionSummary(subscription: Subscription): string {
  const end = formatDate(subscription.currentPeriodEnd);
  switch (subscription.status) {
    case "active":
    case "trialing":
      return subscription.cancelAtPeriodEnd ? `Cancelled; the plan ends on ${end}` : `Renews on ${end}`;
    case "past_due":
      return `Payment failed; the plan is kept until ${formatDate(subscription.graceEndsAt)} unless a payment succeeds`;
    case "canceled":
      return `Cancelled; paid until ${end}`;
    case "incomplete":
      return "Waiting for the first payment";
    default:
      return `Subscription ${subscription.status.replace("_", " ")}`;
  }
}

/** The organization's invoices, newest first, each linked to Stripe's page of it. */
function InvoiceList({ orgId }: { orgId?: string }) {
  const api = useApi();
  const invoices = useQuery(queries.invoices(api, orgId));
  return (
    <QueryView query={invoices} what="the invoices">
      {(data) =>
        data.items.length === 0 ? null : (
          <>
            <h3>Invoices</h3>
            <table className="table" aria-label="Invoices" data-testid="invoices">
              <thead>
                <tr>
                  <th scope="col">Date</th>
                  <th scope="col">Invoice</th>
                  <th scope="col">Amount</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((invoice: Invoice) => (
                  <tr key={invoice.id}>
                    <td>{formatDate(invoice.createdAt)}</td>
                    <td>
                      {invoice.hostedUrl ? (
                        <a href={invoice.hostedUrl} target="_blank" rel="noreferrer noopener">
                          {invoice.number ?? invoice.id}
                        </a>
                      ) : (
                        (invoice.number ?? invoice.id)
                      )}
                    </td>
                    <td>{formatMoney(invoice.amountDue, invoice.currency)}</td>
                    <td>{invoice.status}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {data.hasMore && <p className="muted">Older invoices are in Manage billing.</p>}
          </>
        )
      }
    </QueryView>
  );
}

function running(billing: BillingOverview): boolean {
  const status = billing.subscription?.status;
  return status === "active" || status === "trialing" || status === "past_due";
}

export function Billing() {
  const api = useApi();
  const { user } = useSession();
  const [params] = useSearchParams();
  const returned = params.get("billing");
  const plans = useQuery(queries.plans(api));
  const billing = useQuery({
    ...queries.billing(api, user?.id),
    // Back from Checkout, Stripe's webhook may land a moment after the browser does.
    refetchInterval: (query) =>
      returned === "success" && query.state.data && !running(query.state.data) ? 2_000 : false,
  });
  const { checkout, portal } = useBillingRedirects();
  const org = useWorkingOrg();
  const nameOf = (id: string) => plans.data?.find((plan: Plan) => plan.id === id)?.name ?? id;

  return (
    <section className="card" aria-labelledby="billing-title">
      <h2 id="billing-title">Billing</h2>
      {returned === "success" && (
        <Notice kind="ok">Payment received. Your plan changes as soon as Stripe confirms it.</Notice>
      )}
      {returned === "cancelled" && <Notice kind="ok">Checkout cancelled; nothing was charged.</Notice>}
      <QueryView query={billing} what="your plan">
        {(data) => (
          <>
            <p>
              {org && !org.personal ? (
                <>
                  {org.name} is on the <strong data-testid="billing-plan">{data.plan.name}</strong> plan, shared by its
                  members.
                </>
              ) : (
                <>
                  You are on the <strong data-testid="billing-plan">{data.plan.name}</strong> plan.
                </>
              )}
            </p>
            {data.subscription && (
              <p className="muted" data-testid="billing-subscription">
                {nameOf(data.subscription.planId)}: {subscriptionSummary(data.subscription)}
              </p>
            )}
            {!data.enabled && <p className="muted">Plans on this service are assigned by its operators.</p>}
            {data.enabled && !data.canManage && (
              <p className="muted" data-testid="billing-owner-only">
                Only the organization's owner buys and manages its plan.
              </p>
            )}
            <div className="actions">
              {data.enabled &&
                data.canManage &&
                !running(data) &&
                data.purchasable
                  .filter((id) => id !== data.plan.id)
                  .map((id) => (
                    <button
                      key={id}
                      type="button"
                      className="primary"
                      disabled={checkout.isPending}
                      onClick={() => checkout.mutate(id)}
                    >
                      Subscribe to {nameOf(id)}
                    </button>
                  ))}
              {data.enabled && data.canManage && data.hasBillingAccount && (
                <button type="button" disabled={portal.isPending} onClick={() => portal.mutate()}>
                  Manage billing
                </button>
              )}
            </div>
            {data.enabled && data.canManage && data.hasBillingAccount && <InvoiceList orgId={data.orgId} />}
          </>
        )}
      </QueryView>
      {checkout.isError && <Notice kind="error">{errorMessage(checkout.error)}</Notice>}
      {portal.isError && <Notice kind="error">{errorMessage(portal.error)}</Notice>}
    </section>
  );
}
