// A progress bar that is also an accessible progressbar; `null` draws an indeterminate one.

export function ProgressBar({ value, label }: { value: number | null; label: string }) {
  return (
    <div
      className={`progress${value === null ? " indeterminate" : ""}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value ?? undefined}
    >
      <div className="fill" style={{ width: value === null ? undefined : `${value}%` }} />
    </div>
  );
}
