import { ConsoleLogger, LogLevel } from '@nestjs/common';

/** How long a line may wait for the ones after it before it is written. */
export const LOG_FLUSH_INTERVAL_MS = 10;
const FLUSH_AT_CHARS = 64 * 1024;

/**
 * Nest's ConsoleLogger with the same lines, made cheap enough for a line per message (the consumer
 * logs ` [x] Received <text>` for each one, as RabbitMQ's tutorial does):
 * - lines for stdout are collected and written together, at most LOG_FLUSH_INTERVAL_MS after the
 *   first of them (at once when 64 Ki characters wait): a write system call per line, which also
 *   wakes whatever reads the pipe, cost more than handling the message;
 * - the timestamp is formatted once per second, the colour codes without reading NO_COLOR from the
 *   environment three times per line (it is read once, when the logger is made).
 *
 * Nothing is dropped: waiting lines are written when the process exits (also after an uncaught
 * exception or `process.exit`), and before any line for stderr (errors), which is written at once.
 * Only a SIGKILL can lose the lines of the last few milliseconds.
 */
export class BufferedConsoleLogger extends ConsoleLogger {
  private lastSecond = -1;
  private lastTimestamp = '';

  protected override printMessages(
    messages: unknown[],
    context = '',
    logLevel: LogLevel = 'log',
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
  ): void {
    if (
      writeStreamType === 'stderr' ||
      this.options.json ||
      this.options.forceConsole
    ) {
      stdoutBuffer.flush();
      super.printMessages(
        messages,
        context,
        logLevel,
        writeStreamType,
        errorStack,
      );
      return;
    }
    // The formatting of ConsoleLogger.printMessages, written to the buffer instead of stdout.
    for (const message of messages) {
      stdoutBuffer.write(
        this.formatMessage(
          logLevel,
          message,
          this.formatPid(process.pid),
          logLevel.toUpperCase().padStart(7, ' '),
          this.formatContext(context),
          this.updateAndGetTimestampDiff(),
        ),
      );
    }
  }

  protected override getTimestamp(): string {
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.lastSecond) {
      this.lastSecond = second;
      this.lastTimestamp = super.getTimestamp();
    }
    return this.lastTimestamp;
  }

  // The colours of ConsoleLogger (cli-colors.util), applied when `options.colors` is on.
  protected override formatContext(context: string): string {
    if (!context) return '';
    return this.options.colors
      ? `\x1B[38;5;3m[${context}] \x1B[39m`
      : `[${context}] `;
  }

  protected override getColorByLogLevel(
    level: LogLevel,
  ): (text: string) => string {
    return COLORS[level] ?? COLORS.log;
  }
}

const COLORS: Record<LogLevel, (text: string) => string> = {
  log: (text) => `\x1B[32m${text}\x1B[39m`,
  error: (text) => `\x1B[31m${text}\x1B[39m`,
  warn: (text) => `\x1B[33m${text}\x1B[39m`,
  debug: (text) => `\x1B[95m${text}\x1B[39m`,
  verbose: (text) => `\x1B[96m${text}\x1B[39m`,
  fatal: (text) => `\x1B[1m${text}\x1B[0m`,
};

/** Lines for stdout, written together. */
class StdoutBuffer {
  private lines: string[] = [];
  private length = 0;
  private timer?: NodeJS.Timeout;

  constructor() {
    process.on('exit', () => this.flush());
  }

  write(line: string): void {
    this.lines.push(line);
    this.length += line.length;
    if (this.length >= FLUSH_AT_CHARS) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), LOG_FLUSH_INTERVAL_MS);
      // Waiting lines must not keep the process alive; they are written when it exits.
      this.timer.unref();
    }
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.lines.length === 0) return;
    const chunk = this.lines.join('');
    this.lines = [];
    this.length = 0;
    process.stdout.write(chunk);
  }
}

const stdoutBuffer = new StdoutBuffer();
