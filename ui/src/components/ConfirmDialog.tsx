// The one confirmation every destructive operator action goes through: a reason of the length
// the server asks for (its site config says how long), the ticket it belongs to, and the
// confirmation word typed out. The API checks the reason and ticket again and its refusal is
// shown here.
import { useEffect, useRef, useState, type FormEvent } from "react";
import type { Justification } from "../api/types";
import { useSiteConfig } from "../session";
import { errorMessage } from "./Feedback";

export interface ConfirmRequest {
  title: string;
  /** What will happen, in one or two sentences. */
  description: string;
  /** The word the operator types to confirm, e.g. SUSPEND. */
  word: string;
  actionLabel: string;
  run: (why: Justification) => Promise<unknown>;
}

/**
 * Checks the fields as the API will; returns the first problem or null. Without the server's
 * minimum (its config not loaded yet) the length is left to the API to refuse.
 */
export function checkJustification(
  reason: string,
  ticketId: string,
  typed: string,
  word: string,
  minReasonChars: number | undefined,
): string | null {
  if (!reason.trim() || (minReasonChars !== undefined && [...reason.trim()].length < minReasonChars)) {
    return `Give a reason of at least ${minReasonChars ?? "a few"} characters.`;
  }
  if (!ticketId.trim()) return "Give the ticket id this action belongs to.";
  if (typed.trim() !== word) return `Type ${word} to confirm.`;
  return null;
}

export function ConfirmDialog({
  request,
  onClose,
  onDone,
}: {
  request: ConfirmRequest;
  onClose: () => void;
  onDone?: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState("");
  const [ticketId, setTicketId] = useState("");
  const [typed, setTyped] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const minReasonChars = useSiteConfig().data?.minReasonChars;

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found = checkJustification(reason, ticketId, typed, request.word, minReasonChars);
    setProblem(found);
    if (found) return;
    setBusy(true);
    try {
      await request.run({ reason: reason.trim(), ticketId: ticketId.trim() });
      onDone?.();
      onClose();
    } catch (err) {
      setProblem(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog ref={dialog} className="confirm" aria-labelledby="confirm-title" onCancel={onClose}>
      <form onSubmit={submit} noValidate>
        <h2 id="confirm-title">{request.title}</h2>
        <p>{request.description}</p>
        <label>
          Reason
          <textarea
            name="reason"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            rows={3}
            required
            minLength={minReasonChars}
            placeholder="Why, in a sentence another operator will understand"
            autoFocus
          />
        </label>
        <label>
          Ticket id
          <input name="ticketId" value={ticketId} onChange={(e) => setTicketId(e.target.value)} required />
        </label>
        <label>
          <span>
            Type <code>{request.word}</code> to confirm
          </span>
          <input
            name="confirmWord"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            autoComplete="off"
            required
          />
        </label>
        {problem && (
          <p className="notice error" role="alert">
            {problem}
          </p>
        )}
        <div className="actions">
          <button type="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={busy}>
            {busy ? "Working…" : request.actionLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}

/** State for a page that opens the dialog: `ask(request)` opens it, `dialog` renders it. */
export function useConfirm(onDone?: () => void) {
  const [request, setRequest] = useState<ConfirmRequest | null>(null);
  const dialog = request ? <ConfirmDialog request={request} onClose={() => setRequest(null)} onDone={onDone} /> : null;
  return { ask: setRequest, dialog };
}
