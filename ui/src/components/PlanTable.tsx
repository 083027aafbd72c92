// The plans side by side with their limits and price, marking the reader's own; pages add an
// action per plan (subscribe, sign up).
import type { ReactNode } from "react";
import type { Plan } from "../api/types";
import { formatBytes, formatPrice } from "../lib/format";

export function PlanTable({
  plans,
  current,
  action,
}: {
  plans: Plan[];
  current?: string;
  action?: (plan: Plan) => ReactNode;
}) {
  return (
    <div className="table-scroll">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Plan</th>
            <th scope="col">Price</th>
            <th scope="col" className="num">
              Storage
            </th>
            <th scope="col" className="num">
              Largest job
            </th>
            <th scope="col" className="num">
              Active jobs
            </th>
            <th scope="col" className="num">
              Kept for
            </th>
            {action && (
              <th scope="col">
                <span className="sr-only">Action</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {plans.map((plan) => (
            <tr key={plan.id} aria-current={current === plan.id ? "true" : undefined}>
              <td>
                {plan.name}
                {current === plan.id && <span className="badge">Yours</span>}
              </td>
              <td>{formatPrice(plan.priceCents)}</td>
              <td className="num">{formatBytes(plan.maxStorageBytes)}</td>
              <td className="num">{formatBytes(plan.maxJobBytes)}</td>
              <td className="num">{plan.maxActiveJobs}</td>
              <td className="num">{plan.retentionDays === 0 ? "until deleted" : `${plan.retentionDays} days`}</td>
              {action && <td>{action(plan)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
