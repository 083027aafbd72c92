// Add a job by magnet link, .torrent file or .torrent URL, to the cloud or to one of the user's
// own computers (the default comes from the user's settings).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useApi } from "../../api/context";
import type { JobDetail } from "../../api/types";
import { errorMessage, Notice } from "../../components/Feedback";
import { useSession } from "../../session";
import { queries, keys } from "../../api/queries";

type Source = "magnet" | "file" | "url";

/** What is wrong with a pasted magnet link, or null when it looks like one. */
export function magnetProblem(text: string): string | null {
  const value = text.trim();
  if (!value) return "Paste a magnet link.";
  if (!value.toLowerCase().startsWith("magnet:?")) return "A magnet link starts with magnet:?";
  if (!/[?&]xt=urn:bt(ih|mh):/i.test(value)) return "This magnet link has no torrent hash (xt=urn:btih:…).";
  return null;
}

export function urlProblem(text: string): string | null {
  try {
    const url = new URL(text.trim());
    return url.protocol === "http:" || url.protocol === "https:" ? null : "Use an http or https link.";
  } catch {
    return "Paste the full address of a .torrent file.";
  }
}

export function AddJob() {
  const api = useApi();
  const client = useQueryClient();
  const { user } = useSession();
  const devices = useQuery(queries.devices(api));
  const [source, setSource] = useState<Source>("magnet");
  const [text, setText] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [destination, setDestination] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [added, setAdded] = useState<JobDetail | null>(null);
  const liveDevices = (devices.data ?? []).filter((d) => !d.revoked);
  const chosen = destination ?? user?.defaultDeviceId ?? "";

  const add = useMutation({
    mutationFn: async () => {
      const deviceId = chosen || null;
      if (source === "file") return api.uploadTorrent(file as File, deviceId ?? undefined);
      const base = { magnet: null, torrentUrl: null, selectedFiles: null, region: null, deviceId, callbackUrl: null };
      if (source === "url") return api.createJob({ ...base, torrentUrl: text.trim() });
      return api.createJob({ ...base, magnet: text.trim() });
    },
    onSuccess: (detail) => {
      setAdded(detail);
      setText("");
      setFile(null);
      void client.invalidateQueries({ queryKey: keys.jobs });
      void client.invalidateQueries({ queryKey: keys.usage });
    },
    onError: (err) => setProblem(errorMessage(err)),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setAdded(null);
    const found =
      source === "magnet"
        ? magnetProblem(text)
        : source === "url"
          ? urlProblem(text)
          : file
            ? null
            : "Choose a .torrent file.";
    setProblem(found);
    if (!found) add.mutate();
  }

  return (
    <form className="card add-job" onSubmit={submit} aria-labelledby="add-title">
      <h2 id="add-title">Add a torrent</h2>
      <div className="segmented" role="radiogroup" aria-label="Source">
        {(
          [
            ["magnet", "Magnet link"],
            ["file", ".torrent file"],
            ["url", ".torrent URL"],
          ] as const
        ).map(([value, label]) => (
          <label key={value} className={source === value ? "on" : ""}>
            <input
              type="radio"
              name="source"
              value={value}
              checked={source === value}
              onChange={() => {
                setSource(value);
                setProblem(null);
              }}
            />
            {label}
          </label>
        ))}
      </div>
      <div className="add-row">
        {source === "file" ? (
          <input
            type="file"
            name="torrent"
            accept=".torrent,application/x-bittorrent"
            aria-label=".torrent file"
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
        ) : (
          <input
            type={source === "url" ? "url" : "text"}
            name={source}
            aria-label={source === "url" ? ".torrent URL" : "Magnet link"}
            placeholder={source === "url" ? "https://example.org/file.torrent" : "magnet:?xt=urn:btih:…"}
            value={text}
            onChange={(e) => setText(e.target.value)}
            spellCheck={false}
            autoComplete="off"
          />
        )}
        <label className="inline">
          <span className="muted">To</span>
          <select name="destination" value={chosen} onChange={(e) => setDestination(e.target.value)}>
            <option value="">Cloud</option>
            {liveDevices.map((d) => (
              <option key={d.id} value={d.id}>
                My computer: {d.name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary" disabled={add.isPending}>
          {add.isPending ? "Adding…" : "Add"}
        </button>
      </div>
      {problem && <Notice kind="error">{problem}</Notice>}
      {added && (
        <Notice kind="ok">
          Added <Link to={`/jobs/${added.job.id}`}>{added.job.name}</Link>.
        </Notice>
      )}
    </form>
  );
}
