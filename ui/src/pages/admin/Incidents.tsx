// Operators keep the status page honest: open an incident on a component, post updates until it
// is resolved, and schedule (or cancel) maintenance windows. Each change is audited and shows on
// the public status page at once.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useApi } from "../../api/context";
import { keys, queries } from "../../api/queries";
import type { Incident, IncidentSeverity, IncidentStatus } from "../../api/types";
import { errorMessage, Notice, QueryView, Empty } from "../../components/Feedback";
import { Pager } from "../../components/Pager";
import { useTitle } from "../../components/useTitle";
import { formatDate } from "../../lib/format";
import { hasRole, useSession } from "../../session";
import { IncidentCard } from "../../components/IncidentCard";

const COMPONENTS = [
  ["api", "API"],
  ["queue", "Job queue"],
  ["agents", "Download agents"],
  ["storage", "File storage"],
] as const;
const SEVERITIES: IncidentSeverity[] = ["minor", "major", "critical"];
const STATUSES: IncidentStatus[] = ["investigating", "identified", "monitoring", "resolved"];

function useRefresh() {
  const client = useQueryClient();
  return () => {
    for (const key of [keys.incidents, keys.statusHistory, keys.status, keys.audit]) {
      void client.invalidateQueries({ queryKey: key });
    }
  };
}

function OpenIncidentForm() {
  const api = useApi();
  const refresh = useRefresh();
  const [title, setTitle] = useState("");
  const [component, setComponent] = useState("api");
  const [severity, setSeverity] = useState<IncidentSeverity>("minor");
  const [note, setNote] = useState("");
  const open = useMutation({
    mutationFn: () => api.openIncident({ title, component, severity, note }),
    onSuccess: () => {
      setTitle("");
      setNote("");
      refresh();
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    open.mutate();
  }
  return (
    <form className="card stack" onSubmit={submit} aria-labelledby="open-incident-title">
      <h2 id="open-incident-title">Open an incident</h2>
      <label>
        Title
        <input value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={200} />
      </label>
      <label>
        Component
        <select value={component} onChange={(e) => setComponent(e.target.value)}>
          {COMPONENTS.map(([id, name]) => (
            <option key={id} value={id}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Severity
        <select value={severity} onChange={(e) => setSeverity(e.target.value as IncidentSeverity)}>
          {SEVERITIES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      <label>
        What is known
        <textarea value={note} onChange={(e) => setNote(e.target.value)} rows={3} required maxLength={5000} />
      </label>
      {open.isError && <Notice kind="error">{errorMessage(open.error)}</Notice>}
      <div className="actions">
        <button type="submit" className="primary" disabled={open.isPending}>
          Open incident
        </button>
      </div>
    </form>
  );
}

function UpdateForm({ incident }: { incident: Incident }) {
  const api = useApi();
  const refresh = useRefresh();
  const [status, setStatus] = useState<IncidentStatus>(incident.status === "investigating" ? "identified" : "resolved");
  const [note, setNote] = useState("");
  const update = useMutation({
    mutationFn: () => api.updateIncident(incident.id, { status, note }),
    onSuccess: () => {
      setNote("");
      refresh();
    },
  });
  return (
    <form
      className="stack"
      onSubmit={(e) => {
        e.preventDefault();
        update.mutate();
      }}
      aria-label={`Update ${incident.title}`}
    >
      <label>
        New status
        <select value={status} onChange={(e) => setStatus(e.target.value as IncidentStatus)}>
          {STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      <label>
        Update
        <textarea value={note} onChange={(e) => setNote(e.target.value)} rows={2} required maxLength={5000} />
      </label>
      {update.isError && <Notice kind="error">{errorMessage(update.error)}</Notice>}
      <div className="actions">
        <button type="submit" disabled={update.isPending}>
          Post update
        </button>
      </div>
    </form>
  );
}

function MaintenanceForm() {
  const api = useApi();
  const refresh = useRefresh();
  const [title, setTitle] = useState("");
  const [chosen, setChosen] = useState<string[]>([]);
  const [startsAt, setStartsAt] = useState("");
  const [endsAt, setEndsAt] = useState("");
  const schedule = useMutation({
    mutationFn: () =>
      api.scheduleMaintenance({
        title,
        components: chosen,
        startsAt: new Date(startsAt).toISOString(),
        endsAt: new Date(endsAt).toISOString(),
      }),
    onSuccess: () => {
      setTitle("");
      refresh();
    },
  });
  return (
    <form
      className="card stack"
      aria-labelledby="schedule-title"
      onSubmit={(e) => {
        e.preventDefault();
        schedule.mutate();
      }}
    >
      <h2 id="schedule-title">Schedule maintenance</h2>
      <label>
        Title
        <input value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={200} />
      </label>
      <fieldset className="inline-checks">
        <legend>Components</legend>
        {COMPONENTS.map(([id, name]) => (
          <label key={id}>
            <input
              type="checkbox"
              checked={chosen.includes(id)}
              onChange={(e) => setChosen(e.target.checked ? [...chosen, id] : chosen.filter((c) => c !== id))}
            />
            {name}
          </label>
        ))}
      </fieldset>
      <label>
        Starts
        <input type="datetime-local" value={startsAt} onChange={(e) => setStartsAt(e.target.value)} required />
      </label>
      <label>
        Ends
        <input type="datetime-local" value={endsAt} onChange={(e) => setEndsAt(e.target.value)} required />
      </label>
      {schedule.isError && <Notice kind="error">{errorMessage(schedule.error)}</Notice>}
      <div className="actions">
        <button type="submit" className="primary" disabled={schedule.isPending}>
          Schedule
        </button>
      </div>
    </form>
  );
}

function UpcomingMaintenance({ mayEdit }: { mayEdit: boolean }) {
  const api = useApi();
  const refresh = useRefresh();
  const history = useQuery(queries.statusHistory(api, 1));
  const cancel = useMutation({ mutationFn: (id: string) => api.cancelMaintenance(id), onSuccess: refresh });
  const windows = history.data?.maintenance ?? [];
  if (windows.length === 0) return null;
  return (
    <section className="card" aria-labelledby="upcoming-title">
      <h2 id="upcoming-title">Upcoming maintenance</h2>
      <ul className="plain rows">
        {windows.map((w) => (
          <li key={w.id} className="row">
            <div>
              <strong>{w.title}</strong>
              <div className="muted small-print">
                {w.components.join(", ")} · {formatDate(w.startsAt)} to {formatDate(w.endsAt)}
              </div>
            </div>
            {mayEdit && (
              <button type="button" className="small" onClick={() => cancel.mutate(w.id)}>
                Cancel window
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function Incidents() {
  useTitle("Incidents");
  const api = useApi();
  const { user } = useSession();
  const mayEdit = hasRole(user, "admin");
  const [page, setPage] = useState(1);
  const list = useQuery({ ...queries.incidents(api, page), placeholderData: keepPreviousData });
  return (
    <section aria-labelledby="incidents-title">
      <h1 id="incidents-title">Incidents</h1>
      <p className="muted">What is written here is shown on the public status page.</p>
      <UpcomingMaintenance mayEdit={mayEdit} />
      {mayEdit && (
        <div className="tiles">
          <OpenIncidentForm />
          <MaintenanceForm />
        </div>
      )}
      <QueryView
        query={list}
        what="the incidents"
        isEmpty={(d) => d.items.length === 0}
        empty={<Empty title="No incidents">Nothing has gone wrong that an operator wrote down.</Empty>}
      >
        {(data) => (
          <>
            <ul className="plain stack">
              {data.items.map((incident) => (
                <IncidentCard key={incident.id} incident={incident} level={2}>
                  {mayEdit && incident.status !== "resolved" && <UpdateForm incident={incident} />}
                </IncidentCard>
              ))}
            </ul>
            <Pager page={data.page} perPage={data.perPage} total={data.total} onPage={setPage} />
          </>
        )}
      </QueryView>
    </section>
  );
}
