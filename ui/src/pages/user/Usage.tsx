// What the working organization's plan allows and how much of it its jobs use, with the plans
// side by side.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { Cell, Pie, PieChart, ResponsiveContainer, Tooltip } from "recharts";
import { useApi } from "../../api/context";
import { ProgressBar } from "../../components/ProgressBar";
import { useTitle } from "../../components/useTitle";
import { QueryView } from "../../components/Feedback";
import { formatBytes, percent } from "../../lib/format";
import { PlanTable } from "../../components/PlanTable";
import { queries } from "../../api/queries";
import { orgLabel, useWorkingOrg } from "../../components/OrgSwitcher";

export function UsagePage() {
  useTitle("Usage");
  const api = useApi();
  const usage = useQuery(queries.usage(api));
  const plans = useQuery(queries.plans(api));
  const org = useWorkingOrg();
  return (
    <section className="page" aria-labelledby="usage-title">
      <h1 id="usage-title">Usage and plan</h1>
      {org && !org.personal && (
        <p className="muted" data-testid="usage-org">
          {orgLabel(org)}: every member's jobs count against this organization's plan.
        </p>
      )}
      <QueryView query={usage} what="your usage">
        {(data) => {
          const used = percent(data.storageBytes, data.plan.maxStorageBytes) ?? 0;
          const slices = [
            { name: "Used", value: data.storageBytes },
            { name: "Free", value: Math.max(0, data.plan.maxStorageBytes - data.storageBytes) },
          ];
          return (
            <div className="grid two">
              <div className="card">
                <h2>Storage</h2>
                <div className="donut" aria-hidden="true">
                  <ResponsiveContainer width="100%" height={180}>
                    <PieChart>
                      <Pie
                        data={slices}
                        dataKey="value"
                        innerRadius={55}
                        outerRadius={80}
                        startAngle={90}
                        endAngle={-270}
                        isAnimationActive={false}
                      >
                        <Cell fill="var(--accent)" />
                        <Cell fill="var(--track)" />
                      </Pie>
                      <Tooltip formatter={(value) => formatBytes(Number(value))} />
                    </PieChart>
                  </ResponsiveContainer>
                  <span className="donut-label">{used}%</span>
                </div>
                <p>
                  {formatBytes(data.storageBytes)} of {formatBytes(data.plan.maxStorageBytes)} used
                </p>
                <ProgressBar value={used} label="Storage used" />
              </div>
              <div className="card">
                <h2>{data.plan.name} plan</h2>
                <dl className="facts">
                  <dt>Active jobs</dt>
                  <dd>
                    {data.activeJobs} of {data.plan.maxActiveJobs}
                  </dd>
                  <dt>Largest job</dt>
                  <dd>{formatBytes(data.plan.maxJobBytes)}</dd>
                  <dt>Files kept for</dt>
                  <dd>{data.plan.retentionDays} days</dd>
                  <dt>Jobs so far</dt>
                  <dd>{data.totalJobs}</dd>
                </dl>
              </div>
            </div>
          );
        }}
      </QueryView>
      <h2>Plans</h2>
      <p className="muted">
        Change your plan under <Link to="/settings">Settings → Billing</Link>; every plan is compared on the{" "}
        <Link to="/pricing">pricing page</Link>.
      </p>
      <QueryView query={plans} what="the plans">
        {(list) => <PlanTable plans={list} current={usage.data?.plan.id} />}
      </QueryView>
    </section>
  );
}
