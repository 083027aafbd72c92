// The profile card: display name and the default destination of new jobs.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useApi } from "../../../api/context";
import type { SessionInfo } from "../../../api/types";
import { errorMessage, Notice } from "../../../components/Feedback";
import { useSession } from "../../../session";
import { queries, keys } from "../../../api/queries";

export function Profile() {
  const api = useApi();
  const client = useQueryClient();
  const { user } = useSession();
  const devices = useQuery(queries.devices(api));
  const [name, setName] = useState(user?.displayName ?? "");
  const [device, setDevice] = useState(user?.defaultDeviceId ?? "");
  const save = useMutation({
    mutationFn: () => api.updateProfile({ displayName: name, defaultDeviceId: device }),
    onSuccess: (updated) => {
      client.setQueryData<SessionInfo | null>(keys.me, (info) => (info ? { ...info, user: updated } : info));
    },
  });
  const live = (devices.data ?? []).filter((d) => !d.revoked);

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }

  return (
    <form className="card stack" onSubmit={submit} aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <label>
        Email
        <input value={user?.email ?? ""} readOnly />
      </label>
      <label>
        Display name
        <input
          name="displayName"
          value={name}
          maxLength={80}
          onChange={(e) => setName(e.target.value)}
          placeholder="How tseeder greets you"
        />
      </label>
      <label>
        New jobs go to
        <select name="defaultDestination" value={device} onChange={(e) => setDevice(e.target.value)}>
          <option value="">The cloud</option>
          {live.map((d) => (
            <option key={d.id} value={d.id}>
              My computer: {d.name}
            </option>
          ))}
        </select>
        <small className="muted">
          {live.length === 0
            ? "Sign in to the tseeder desktop app to send jobs to your own computer."
            : "Jobs sent to your computer download there while the desktop app runs."}
        </small>
      </label>
      {save.isSuccess && <Notice kind="ok">Saved.</Notice>}
      {save.isError && <Notice kind="error">{errorMessage(save.error)}</Notice>}
      <button type="submit" className="primary" disabled={save.isPending}>
        Save profile
      </button>
    </form>
  );
}
