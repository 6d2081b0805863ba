import { percent } from '../format.ts';

/** A determinate progress bar with its percentage and current step in words. */
export function ProgressBar({ value, label, step }: { value: number; label: string; step?: string }) {
  return (
    <div className="progress">
      <div className="progress-row">
        <progress max={1} value={Math.min(1, Math.max(0, value))} aria-label={label} />
        <span className="progress-percent">{percent(value)}</span>
      </div>
      {step ? (
        <p className="progress-step" aria-live="polite">
          {step}
        </p>
      ) : null}
    </div>
  );
}
