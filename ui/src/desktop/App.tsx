// The desktop app's screens: the job list with a paste box, the Add dialog whenever a link
// arrives, and settings. Live state comes from the app's events; nothing is polled.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent, type ReactNode } from "react";
import { Loading, ErrorNote, Notice, errorMessage } from "../components/Feedback";
import { AddDialog } from "./AddDialog";
import type { DesktopApi, DesktopJob, PendingAdd } from "./api";
import { JobList } from "./JobList";
import { Settings } from "./Settings";
import { keys, queries } from "../api/queries";

export function DesktopApp({ api }: { api: DesktopApi }) {
  const client = useQueryClient();
  const state = useQuery(queries.appState(api));
  const [tab, setTab] = useState<Tab>("jobs");
  const [jobs, setJobs] = useState<DesktopJob[]>([]);
  const [pending, setPending] = useState<Map<string, PendingAdd>>(new Map());
  const [link, setLink] = useState("");
  const [note, setNote] = useState<string | null>(null);

  useEffect(() => {
    void api.jobs().then(setJobs);
    void api.pendingAdds().then((adds) => setPending(new Map(adds.map((a) => [a.id, a]))));
    const stopEvents = api.onEvent((event) => {
      switch (event.type) {
        case "jobs":
          setJobs(event.jobs);
          break;
        case "pending":
          setTab("jobs");
          setPending((old) => new Map(old).set(event.add.id, event.add));
          break;
        case "pendingGone":
          setPending((old) => {
            const next = new Map(old);
            next.delete(event.id);
            return next;
          });
          break;
        case "state":
          void client.invalidateQueries({ queryKey: keys.appState });
          break;
        default:
          break;
      }
    });
    const stopRefused = api.onRefusedLinks((reasons) => setNote(reasons.join("\n")));
    return () => {
      stopEvents();
      stopRefused();
    };
  }, [api, client]);

  // While the core opens, the same frame as desktop.html's, which WebKit painted before this script ran.
  if (state.isPending) {
    return (
      <>
        <TopBar tab={tab} onTab={setTab} />
        <main>
          <Loading what="tseeder" />
        </main>
      </>
    );
  }
  if (state.isError) return <ErrorNote error={state.error} retry={() => void state.refetch()} />;
  const app = state.data;
  const refresh = () => void client.invalidateQueries({ queryKey: keys.appState });
  const current = [...pending.values()][0];

  const paste = async (event: FormEvent) => {
    event.preventDefault();
    setNote(null);
    try {
      await api.receiveLink(link);
      setLink("");
    } catch (err) {
      setNote(errorMessage(err));
    }
  };

  return (
    <>
      <TopBar tab={tab} onTab={setTab}>
        <div className="account">
          <span className="who">
            <span id="account-status">{app.signedIn ? app.user?.email : "Not signed in"}</span>
          </span>
          <button type="button" className="small" onClick={() => void api.pauseAll()}>
            Pause all
          </button>
          <button type="button" className="small" onClick={() => void api.resumeAll()}>
            Resume all
          </button>
        </div>
      </TopBar>
      <main>
        {tab === "jobs" ? (
          <>
            <form className="add-row" onSubmit={(e) => void paste(e)} aria-label="Add a torrent">
              <input
                aria-label="Magnet link or .torrent URL"
                placeholder="Paste a magnet link or a .torrent URL"
                value={link}
                onChange={(e) => setLink(e.target.value)}
                id="add-link"
              />
              <button type="submit" className="primary" disabled={!link.trim()}>
                Add
              </button>
            </form>
            {note && <Notice kind="error">{note}</Notice>}
            <JobList api={api} jobs={jobs} />
          </>
        ) : (
          <Settings api={api} state={app} onChange={refresh} />
        )}
      </main>
      {current && <AddDialog key={current.id} api={api} add={current} state={app} />}
    </>
  );
}

type Tab = "jobs" | "settings";

/** The brand and the tabs; `children` is the account's corner once the core has answered. */
function TopBar({ tab, onTab, children }: { tab: Tab; onTab: (tab: Tab) => void; children?: ReactNode }) {
  return (
    <header className="topbar">
      <span className="brand">
        <img src="/favicon.svg" alt="" width={24} height={24} /> tseeder
      </span>
      <nav aria-label="Main">
        <ul className="tabs">
          <li>
            <button
              type="button"
              className={tab === "jobs" ? "on" : ""}
              aria-current={tab === "jobs"}
              onClick={() => onTab("jobs")}
            >
              Downloads
            </button>
          </li>
          <li>
            <button
              type="button"
              className={tab === "settings" ? "on" : ""}
              aria-current={tab === "settings"}
              onClick={() => onTab("settings")}
              id="tab-settings"
            >
              Settings
            </button>
          </li>
        </ul>
      </nav>
      {children}
    </header>
  );
}
