// An operator's plan change by hand: pick a plan, then justify it in the confirmation dialog.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useApi } from "../../api/context";
import { queries } from "../../api/queries";
import type { ConfirmRequest } from "../../components/ConfirmDialog";

export function PlanChanger({
  current,
  ask,
  confirm,
}: {
  current: string;
  ask: (request: ConfirmRequest) => void;
  /** The dialog for moving to `plan`. */
  confirm: (plan: string) => ConfirmRequest;
}) {
  const api = useApi();
  const plans = useQuery(queries.plans(api));
  const [plan, setPlan] = useState("");
  return (
    <div className="add-row">
      <label className="inline">
        <span className="muted">Plan</span>
        <select value={plan || current} onChange={(e) => setPlan(e.target.value)}>
          {(plans.data ?? []).map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      <button type="button" disabled={!plan || plan === current} onClick={() => ask(confirm(plan))}>
        Change plan
      </button>
    </div>
  );
}
