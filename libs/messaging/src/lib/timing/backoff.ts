export interface BackoffOptions {
  readonly initialMs: number;
  /** Default: `initialMs`. */
  readonly maxMs?: number;
  /**
   * How the delay grows with each failure in a row: not at all (the default), by `initialMs` each
   * time (linear), or twofold (exponential); never beyond `maxMs`.
   */
  readonly growth?: 'constant' | 'linear' | 'exponential';
}

/**
 * The pauses of a retry loop: `next()` after each failure gives the pause before the next try,
 * `reset()` after a success starts over from `initialMs`.
 */
export class Backoff {
  private failures = 0;

  constructor(private readonly options: BackoffOptions) {}

  next(): number {
    this.failures++;
    return backoffDelay(this.options, this.failures);
  }

  reset(): void {
    this.failures = 0;
  }
}

/** The pause after `failures` failures in a row (1 for the first). */
export function backoffDelay(options: BackoffOptions, failures: number): number {
  const { initialMs, growth = 'constant' } = options;
  const maxMs = Math.max(options.maxMs ?? initialMs, initialMs);
  const steps = Math.max(failures - 1, 0);
  const delay =
    growth === 'linear'
      ? initialMs * (steps + 1)
      : growth === 'exponential'
        ? initialMs * 2 ** Math.min(steps, 52)
        : initialMs;
  return Math.min(delay, maxMs);
}
