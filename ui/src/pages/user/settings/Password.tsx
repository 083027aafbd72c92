// The password card: change it, optionally signing out every other session.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useApi } from "../../../api/context";
import { errorMessage, Notice } from "../../../components/Feedback";
import { keys } from "../../../api/queries";

export function Password() {
  const api = useApi();
  const client = useQueryClient();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [everywhere, setEverywhere] = useState(false);
  const change = useMutation({
    mutationFn: () => api.changePassword(current, next, everywhere),
    onSuccess: () => {
      setCurrent("");
      setNext("");
      void client.invalidateQueries({ queryKey: keys.apiKeys });
      void client.invalidateQueries({ queryKey: keys.sessions });
    },
  });
  return (
    <form
      className="card stack"
      aria-labelledby="password-title"
      onSubmit={(e) => {
        e.preventDefault();
        change.mutate();
      }}
    >
      <h2 id="password-title">Password</h2>
      <label>
        Current password
        <input
          type="password"
          autoComplete="current-password"
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          required
        />
      </label>
      <label>
        New password
        <input
          type="password"
          autoComplete="new-password"
          value={next}
          onChange={(e) => setNext(e.target.value)}
          required
        />
      </label>
      <label className="inline">
        <input type="checkbox" checked={everywhere} onChange={(e) => setEverywhere(e.target.checked)} />
        Also revoke every API key and device (other browsers are always signed out)
      </label>
      {change.isSuccess && <Notice kind="ok">{change.data.message}</Notice>}
      {change.isError && <Notice kind="error">{errorMessage(change.error)}</Notice>}
      <button type="submit" disabled={change.isPending}>
        Change password
      </button>
    </form>
  );
}
