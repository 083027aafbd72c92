// Settings before and after, side by side: a version's changes, or what a rollback would change.
import type { SettingChange } from "../../../api/types";

/** A setting's value as an operator reads it: text quoted, empty text as "(none)". */
export function showValue(value: unknown): string {
  if (value === "" || value === null || value === undefined) return "(none)";
  if (typeof value === "string") return `“${value}”`;
  if (typeof value === "boolean") return value ? "on" : "off";
  return String(value);
}

export function Diff({
  changes,
  before = "Before",
  after = "After",
  label,
}: {
  changes: SettingChange[];
  before?: string;
  after?: string;
  label: string;
}) {
  return (
    <div className="table-scroll">
      <table className="table diff" aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Setting</th>
            <th scope="col">{before}</th>
            <th scope="col">{after}</th>
          </tr>
        </thead>
        <tbody>
          {changes.map((change) => (
            <tr key={change.key}>
              <th scope="row" className="mono">
                {change.key}
              </th>
              <td className="diff-old">
                <del>{showValue(change.old)}</del>
              </td>
              <td className="diff-new">
                <ins>{showValue(change.new)}</ins>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
