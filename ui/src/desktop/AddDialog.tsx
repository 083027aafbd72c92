// The Add dialog: what arrived, its metadata (fetched first), the files to take, and where it
// goes, with the option to remember that choice.
import { useEffect, useRef, useState } from "react";
import { Notice, errorMessage } from "../components/Feedback";
import { formatBytes } from "../lib/format";
import type { AppState, DesktopApi, Destination, PendingAdd } from "./api";

export function AddDialog({ api, add, state }: { api: DesktopApi; add: PendingAdd; state: AppState }) {
  const suggested: Destination = add.decision.kind === "ask" ? add.decision.suggested : add.decision.destination;
  const [destination, setDestination] = useState<Destination>(state.signedIn ? suggested : "local");
  const [chosen, setChosen] = useState<Set<number> | null>(null);
  const [remember, setRemember] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    if (!dialog.current?.open) dialog.current?.showModal();
  }, []);

  const selected = chosen ?? new Set(add.files.map((f) => f.index));
  const selectedBytes = add.files.filter((f) => selected.has(f.index)).reduce((sum, f) => sum + f.size, 0);
  const waitingForFiles = add.state === "resolving";
  const canAdd =
    !busy &&
    (destination === "cloud" ? state.signedIn : add.state === "ready") &&
    (add.files.length === 0 || selected.size > 0);

  const toggle = (index: number) => {
    const next = new Set(selected);
    if (next.has(index)) next.delete(index);
    else next.add(index);
    setChosen(next);
  };

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      const all = add.files.length === 0 || selected.size === add.files.length;
      await api.confirmAdd(add.id, {
        destination,
        selectedFiles: all ? null : [...selected].sort((a, b) => a - b),
        remember,
      });
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      className="confirm add-dialog"
      aria-labelledby="add-title"
      onCancel={() => void api.dismissAdd(add.id)}
    >
      <h2 id="add-title">Add {add.name ?? add.label}</h2>
      {waitingForFiles && (
        <p role="status" className="muted">
          <span className="spinner" aria-hidden="true" /> Fetching the torrent's file list…
        </p>
      )}
      {add.state === "failed" && add.error && <Notice kind="error">{add.error}</Notice>}
      {add.decision.kind === "ask" && add.decision.note && <p className="muted">{add.decision.note}</p>}
      {add.files.length > 0 && (
        <fieldset className="files">
          <legend>
            Files · {formatBytes(selectedBytes)} of {formatBytes(add.totalBytes)}
          </legend>
          <label className="inline">
            <input
              type="checkbox"
              checked={selected.size === add.files.length}
              onChange={(e) => setChosen(e.target.checked ? null : new Set())}
            />
            All files
          </label>
          <ul className="plain file-list">
            {add.files.map((file) => (
              <li key={file.index}>
                <label className="inline">
                  <input type="checkbox" checked={selected.has(file.index)} onChange={() => toggle(file.index)} />
                  <span className="wrap">{file.path}</span>
                  <span className="muted small-print">{formatBytes(file.size)}</span>
                </label>
              </li>
            ))}
          </ul>
        </fieldset>
      )}
      <fieldset>
        <legend>Download</legend>
        <div className="segmented" role="radiogroup" aria-label="Destination">
          <label className={destination === "cloud" ? "on" : ""}>
            <input
              type="radio"
              name="destination"
              value="cloud"
              disabled={!state.signedIn}
              checked={destination === "cloud"}
              onChange={() => setDestination("cloud")}
            />
            In the cloud
          </label>
          <label className={destination === "local" ? "on" : ""}>
            <input
              type="radio"
              name="destination"
              value="local"
              checked={destination === "local"}
              onChange={() => setDestination("local")}
            />
            On this computer
          </label>
        </div>
        {!state.signedIn && <p className="small-print muted">Sign in (Settings) to download in the cloud.</p>}
        <label className="inline">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
          Always do this without asking
        </label>
      </fieldset>
      {error && <Notice kind="error">{error}</Notice>}
      <div className="actions">
        <button type="button" id="add-cancel" onClick={() => void api.dismissAdd(add.id)}>
          Cancel
        </button>
        <button type="button" className="primary" id="add-confirm" disabled={!canAdd} onClick={() => void confirm()}>
          {busy ? "Adding…" : "Add"}
        </button>
      </div>
    </dialog>
  );
}
