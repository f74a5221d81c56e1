import type { LoggerService } from '@nestjs/common';

/** How long identical warnings are held back after one has been written. Default of RateLimitedLog. */
export const DEFAULT_LOG_WINDOW_MS = 10_000;

/**
 * Writes a warning or error once per `windowMs` for each `key` (what the lines have in common, e.g.
 * "publish failed (channel closed)" without the message id), and counts the ones held back meanwhile:
 * the next line written for the key says how many there were. An outage that fails every message
 * then logs a few lines a minute instead of one per message and retry.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Pick<LoggerService, 'warn' | 'error'>,
    private readonly windowMs = DEFAULT_LOG_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Logs `message` (by default the key itself) at warn level, unless `key` was logged within the window. */
  warn(key: string, message = key): boolean {
    return this.write('warn', key, message);
  }

  /** As `warn`, at error level. */
  error(key: string, message = key): boolean {
    return this.write('error', key, message);
  }

  private write(level: 'warn' | 'error', key: string, message: string): boolean {
    const now = this.now();
    const entry = this.last.get(key);
    if (entry && now - entry.at < this.windowMs) {
      entry.suppressed++;
      return false;
    }
    const held = entry?.suppressed ?? 0;
    const seconds = Math.round((entry ? now - entry.at : 0) / 1000);
    this.logger[level](held > 0 ? `${message} (and ${held} more like it in the last ${seconds} s)` : message);
    this.last.set(key, { at: now, suppressed: 0 });
    if (this.last.size > 1000) this.last.delete(this.last.keys().next().value as string);
    return true;
  }
}
