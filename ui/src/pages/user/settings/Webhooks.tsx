// The webhooks card: endpoints told when jobs end (each with a signing secret shown once), the
// secret that signs single jobs' callbacks, and how every recent delivery went.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useApi } from "../../../api/context";
import { keys, queries } from "../../../api/queries";
import type { DeliveryState, WebhookEvent } from "../../../api/types";
import { Empty, errorMessage, Notice, QueryView } from "../../../components/Feedback";
import { formatRelative } from "../../../lib/format";

const EVENTS: { event: WebhookEvent; label: string }[] = [
  { event: "job.completed", label: "Completed" },
  { event: "job.failed", label: "Failed" },
  { event: "job.dead_lettered", label: "Dead-lettered" },
];

const STATE_LABEL: Record<DeliveryState, string> = {
  pending: "Retrying",
  delivered: "Delivered",
  failed: "Given up",
};

const STATE_BADGE: Record<DeliveryState, string> = {
  pending: "status-paused",
  delivered: "status-completed",
  failed: "status-failed",
};

function Secret({ label, secret, onDone }: { label: string; secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="secret" role="status">
      <p>
        <strong>Copy the {label} now.</strong> It is shown only once; receivers check signatures with it.
      </p>
      <code data-testid="new-webhook-secret">{secret}</code>
      <button
        type="button"
        className="small"
        onClick={async () => {
          await navigator.clipboard.writeText(secret);
          setCopied(true);
        }}
      >
        {copied ? "Copied" : "Copy"}
      </button>
      <button type="button" className="link" onClick={onDone}>
        Done
      </button>
    </div>
  );
}

export function Webhooks() {
  const api = useApi();
  const client = useQueryClient();
  const webhooks = useQuery(queries.webhooks(api));
  const deliveries = useQuery(queries.webhookDeliveries(api));
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<WebhookEvent[]>(["job.completed", "job.failed"]);
  const [shown, setShown] = useState<{ label: string; secret: string } | null>(null);
  const refresh = () => {
    void client.invalidateQueries({ queryKey: keys.webhooks });
    void client.invalidateQueries({ queryKey: keys.webhookDeliveries });
  };
  const create = useMutation({
    mutationFn: () => api.createWebhook({ url: url.trim(), events, description: null }),
    onSuccess: (created) => {
      setShown({ label: "signing secret", secret: created.secret });
      setUrl("");
      refresh();
    },
  });
  const remove = useMutation({ mutationFn: (id: string) => api.deleteWebhook(id), onSuccess: refresh });
  const rotate = useMutation({
    mutationFn: () => api.rotateCallbackSecret(),
    onSuccess: (made) => setShown({ label: "callback secret", secret: made.secret }),
  });
  const toggle = (event: WebhookEvent, on: boolean) =>
    setEvents((current) => (on ? [...current, event] : current.filter((e) => e !== event)));

  return (
    <section className="card" aria-labelledby="webhooks-title">
      <h2 id="webhooks-title">Webhooks</h2>
      <p className="muted">
        Tell your own server when a job completes or fails: tseeder posts a signed JSON event to the URL (https), and
        tries again for a day while it does not answer 2xx.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <div className="add-row">
          <input
            name="webhookUrl"
            type="url"
            aria-label="Endpoint URL"
            placeholder="https://example.org/tseeder-events"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            required
          />
          <button type="submit" disabled={create.isPending || events.length === 0}>
            Add endpoint
          </button>
        </div>
        <fieldset className="inline-checks">
          <legend>Events</legend>
          {EVENTS.map(({ event, label }) => (
            <label key={event}>
              <input
                type="checkbox"
                checked={events.includes(event)}
                onChange={(e) => toggle(event, e.target.checked)}
              />{" "}
              {label}
            </label>
          ))}
        </fieldset>
      </form>
      {create.isError && <Notice kind="error">{errorMessage(create.error)}</Notice>}
      {shown && <Secret label={shown.label} secret={shown.secret} onDone={() => setShown(null)} />}
      {remove.isError && <Notice kind="error">{errorMessage(remove.error)}</Notice>}
      <QueryView
        query={webhooks}
        what="your webhooks"
        isEmpty={(d) => d.length === 0}
        empty={<Empty title="No endpoints yet" />}
      >
        {(list) => (
          <ul className="plain rows" aria-label="Endpoints">
            {list.map((hook) => (
              <li key={hook.id} className="row">
                <div>
                  <code>{hook.url}</code>
                  {hook.lastDelivery && (
                    <span className={`badge ${STATE_BADGE[hook.lastDelivery]}`}>{STATE_LABEL[hook.lastDelivery]}</span>
                  )}
                  <div className="muted small-print">
                    {hook.events.join(", ")} · added {formatRelative(hook.createdAt)}
                  </div>
                </div>
                <button
                  type="button"
                  className="small"
                  onClick={() => remove.mutate(hook.id)}
                  aria-label={`Delete ${hook.url}`}
                >
                  Delete
                </button>
              </li>
            ))}
          </ul>
        )}
      </QueryView>
      <h3>Callbacks of single jobs</h3>
      <p className="muted">
        A job added through the API with <code>callbackUrl</code> is posted there when it ends, signed with your
        callback secret.
      </p>
      <button type="button" className="small" onClick={() => rotate.mutate()} disabled={rotate.isPending}>
        New callback secret
      </button>
      {rotate.isError && <Notice kind="error">{errorMessage(rotate.error)}</Notice>}
      <h3>Recent deliveries</h3>
      <QueryView
        query={deliveries}
        what="the deliveries"
        isEmpty={(d) => d.length === 0}
        empty={<Empty title="Nothing delivered yet" />}
      >
        {(list) => (
          <div className="table-scroll">
            <table className="table" aria-label="Deliveries">
              <thead>
                <tr>
                  <th scope="col">Event</th>
                  <th scope="col">To</th>
                  <th scope="col">State</th>
                  <th scope="col" className="num">
                    Tries
                  </th>
                  <th scope="col">Last answer</th>
                  <th scope="col">When</th>
                </tr>
              </thead>
              <tbody>
                {list.map((delivery) => (
                  <tr key={delivery.id}>
                    <td>{delivery.event}</td>
                    <td className="wrap">{delivery.url}</td>
                    <td>
                      <span className={`badge ${STATE_BADGE[delivery.state]}`}>{STATE_LABEL[delivery.state]}</span>
                    </td>
                    <td className="num">{delivery.attempts}</td>
                    <td>
                      {delivery.lastStatus ? `HTTP ${delivery.lastStatus}` : (delivery.lastError ?? "–")}
                      {delivery.state === "pending" && delivery.nextAttemptAt && (
                        <div className="muted small-print">next try {formatRelative(delivery.nextAttemptAt)}</div>
                      )}
                    </td>
                    <td>{formatRelative(delivery.deliveredAt ?? delivery.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </section>
  );
}
