// The desktop app's preferences: folders, adding without asking, start at log-in and the like.
import { useState, type FormEvent } from "react";
import { Notice, errorMessage } from "../../components/Feedback";
import type { DesktopApi, DesktopSettings, Remembered } from "../api";

export function Preferences({
  api,
  settings,
  onChange,
}: {
  api: DesktopApi;
  settings: DesktopSettings;
  onChange: () => void;
}) {
  const [draft, setDraft] = useState(settings);
  const [note, setNote] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const set = <K extends keyof DesktopSettings>(key: K, value: DesktopSettings[K]) =>
    setDraft({ ...draft, [key]: value });
  const limit = (key: "downloadLimitKib" | "uploadLimitKib" | "syncLimitKib", label: string) => (
    <label>
      {label} (KiB/s, 0 for no limit)
      <input
        type="number"
        min={0}
        value={draft[key]}
        onChange={(e) => set(key, Math.max(0, Number(e.target.value) || 0))}
      />
    </label>
  );
  const save = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const saved = await api.saveSettings(draft);
      setDraft(saved);
      setNote({ kind: "ok", text: "Saved." });
      onChange();
    } catch (err) {
      setNote({ kind: "error", text: errorMessage(err) });
    }
  };
  return (
    <form className="card stack" aria-labelledby="prefs-title" onSubmit={(e) => void save(e)}>
      <h2 id="prefs-title">Downloads and sync</h2>
      <label>
        New torrents go
        <select
          value={draft.defaultDestination}
          onChange={(e) => set("defaultDestination", e.target.value as Remembered)}
        >
          <option value="ask">Where I choose each time</option>
          <option value="alwaysCloud">To the cloud</option>
          <option value="alwaysLocal">To this computer</option>
        </select>
      </label>
      <label className="inline">
        <input
          id="add-without-asking"
          type="checkbox"
          checked={draft.addWithoutAsking}
          disabled={draft.defaultDestination === "ask"}
          onChange={(e) => set("addWithoutAsking", e.target.checked)}
        />
        Add without showing the Add dialog (links from web pages then start at once)
      </label>
      <label>
        Download folder
        <input value={draft.downloadDir} onChange={(e) => set("downloadDir", e.target.value)} />
      </label>
      <label>
        Sync folder
        <input value={draft.syncDir} onChange={(e) => set("syncDir", e.target.value)} />
      </label>
      <label className="inline">
        <input type="checkbox" checked={draft.syncEnabled} onChange={(e) => set("syncEnabled", e.target.checked)} />
        Copy finished cloud downloads to the sync folder
      </label>
      <label className="inline">
        <input
          type="checkbox"
          checked={draft.deleteCloudAfterSync}
          onChange={(e) => set("deleteCloudAfterSync", e.target.checked)}
        />
        Delete the cloud copy once it is synced and checked
      </label>
      {limit("downloadLimitKib", "Download speed")}
      {limit("uploadLimitKib", "Upload speed")}
      {limit("syncLimitKib", "Sync speed")}
      <label className="inline">
        <input type="checkbox" checked={draft.personalAgent} onChange={(e) => set("personalAgent", e.target.checked)} />
        Take the jobs I send to this computer from the web console or the extension
      </label>
      <label className="inline">
        <input type="checkbox" checked={draft.notifications} onChange={(e) => set("notifications", e.target.checked)} />
        Notify me when downloads finish, fail or sync
      </label>
      <label className="inline">
        <input type="checkbox" checked={draft.startAtLogin} onChange={(e) => set("startAtLogin", e.target.checked)} />
        Start tseeder when I log in
      </label>
      {note && <Notice kind={note.kind}>{note.text}</Notice>}
      <div className="actions">
        <button type="submit" className="primary">
          Save settings
        </button>
      </div>
    </form>
  );
}
