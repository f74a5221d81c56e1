import { Logger, type OnModuleDestroy } from '@nestjs/common';
import { BaseRpcContext, type CustomTransportStrategy, Server } from '@nestjs/microservices';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { isObservable, lastValueFrom } from 'rxjs';
import { settledWithin } from '@hello/messaging';

const tracer = trace.getTracer('event-handler.line-echo');

/** Pattern of the handler each received line is dispatched to. */
export const LINE_RECEIVED_PATTERN = 'line.received';
/** Transport id scoping `@EventPattern(LINE_RECEIVED_PATTERN, LINE_TRANSPORT)` to this server. */
export const LINE_TRANSPORT = Symbol('LINE_TRANSPORT');

/** What the `line.received` handler receives. */
export interface ReceivedLine {
  /** The line without its terminator, decoded as UTF-8. */
  readonly line: string;
  /** The peer, `host:port` (IPv6 hosts in brackets). */
  readonly remoteAddress: string;
  readonly receivedAt: Date;
}

export interface LineServerOptions {
  readonly host: string;
  /** 0 picks a free port; `address()` tells which. */
  readonly port: number;
  /** A line longer than this, terminator excluded, closes its connection. */
  readonly maxLineBytes: number;
  /** How long connections may take to finish their lines at close before being cut. */
  readonly closeGraceMs: number;
  /** Dispatches a connection may have running before it stops reading (backpressure). */
  readonly maxPendingPerConnection?: number;
}

export class LineContext extends BaseRpcContext<[string]> {}

const LF = 0x0a;
const CR = 0x0d;

/**
 * A TCP line echo as a NestJS transport: every line (LF or CRLF terminated) is written back
 * exactly as received, terminator included, then dispatched to the `line.received` handler.
 * Like Twisted's LineOnlyReceiver, a line longer than `maxLineBytes` ends the connection (after
 * an error line); other connections carry on. A partial line left when the peer closes is not a
 * line and is dropped.
 */
export class LineServer extends Server implements CustomTransportStrategy, OnModuleDestroy {
  override readonly transportId = LINE_TRANSPORT;
  protected override readonly logger = new Logger(LineServer.name);
  private readonly server: NetServer;
  private readonly connections = new Set<LineConnection>();
  private closing: Promise<void> | undefined;
  private readonly counters = { connections: 0, lines: 0, tooLong: 0, dispatchFailures: 0 };

  constructor(private readonly options: LineServerOptions) {
    super();
    this.server = createServer((socket) => this.accept(socket));
  }

  listen(callback: (error?: unknown) => void): void {
    const onError = (error: Error) => callback(error);
    this.server.once('error', onError);
    this.server.listen(this.options.port, this.options.host, () => {
      this.server.off('error', onError);
      this.server.on('error', (error) => this.logger.error(`line server error: ${error.message}`));
      const { address, port } = this.address();
      this.logger.log(`line echo listening on ${address}:${port}`);
      callback();
    });
  }

  /** Registered as a provider too: closes before the buses it dispatches to are torn down. */
  onModuleDestroy(): Promise<void> {
    return this.close();
  }

  /** Stops accepting, lets each connection finish the lines it has read, then closes them. */
  close(): Promise<void> {
    this.closing ??= this.closeGracefully();
    return this.closing;
  }

  private listeningPort(): number {
    const address = this.server.address();
    return address && typeof address === 'object' ? address.port : 0;
  }

  address(): { address: string; port: number } {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('line server is not listening');
    return { address: address.address, port: address.port };
  }

  /** Counts since start: connections accepted, lines echoed, lines too long, failed dispatches. */
  stats(): Readonly<typeof this.counters> & { openConnections: number } {
    return { ...this.counters, openConnections: this.connections.size };
  }

  on(): never {
    throw new Error('LineServer has no events to subscribe to');
  }

  unwrap<T>(): T {
    return this.server as T;
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.counters.connections += 1;
    const connection = new LineConnection(socket, this.options, {
      onLine: (line) => {
        this.counters.lines += 1;
        return this.dispatch(line);
      },
      onTooLong: () => {
        this.counters.tooLong += 1;
      },
      onClosed: () => this.connections.delete(connection),
    });
    this.connections.add(connection);
  }

  /** Each line starts a trace of its own (a SERVER span): the line protocol carries no trace context. */
  private dispatch(line: ReceivedLine): Promise<void> {
    const span = tracer.startSpan(
      `${LINE_RECEIVED_PATTERN} receive`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'network.transport': 'tcp',
          'network.protocol.name': 'line',
          'client.address': line.remoteAddress,
          'server.port': this.listeningPort(),
        },
      },
      ROOT_CONTEXT,
    );
    return context
      .with(trace.setSpan(ROOT_CONTEXT, span), () => this.dispatchInSpan(line))
      .then((failed) => {
        if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: failed });
        span.end();
      });
  }

  /** Resolves with the failure, if any (which is logged and counted here, never thrown). */
  private async dispatchInSpan(line: ReceivedLine): Promise<string | undefined> {
    const handler = this.getHandlerByPattern(LINE_RECEIVED_PATTERN);
    if (!handler) {
      this.counters.dispatchFailures += 1;
      this.logger.error(`No handler registered for the pattern "${LINE_RECEIVED_PATTERN}"`);
      return 'no handler';
    }
    try {
      const result = await handler(line, new LineContext([line.remoteAddress]));
      // Nest turns a handler's exception into an erroring observable.
      if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
    } catch (error) {
      this.counters.dispatchFailures += 1;
      const reason = error instanceof Error ? error.message : JSON.stringify(error);
      this.logger.error(`"${LINE_RECEIVED_PATTERN}" handler failed for a line from ${line.remoteAddress}: ${reason}`);
      return reason;
    }
    return undefined;
  }

  private async closeGracefully(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.connections].map((c) => c.close(this.options.closeGraceMs)));
    await stopped;
  }
}

interface ConnectionListener {
  onLine(line: ReceivedLine): Promise<void>;
  onTooLong(): void;
  onClosed(): void;
}

class LineConnection {
  private readonly remoteAddress: string;
  private buffered: Buffer = Buffer.alloc(0);
  private readonly pending = new Set<Promise<void>>();
  private readonly maxPending: number;
  private ended = false;
  private readonly closed: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly options: LineServerOptions,
    private readonly listener: ConnectionListener,
  ) {
    this.maxPending = options.maxPendingPerConnection ?? 256;
    const host = socket.remoteAddress ?? 'unknown';
    this.remoteAddress = `${host.includes(':') ? `[${host}]` : host}:${socket.remotePort ?? 0}`;
    socket.setNoDelay(true);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.closed.then(() => listener.onClosed());
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    // A reset by the peer is routine for a line protocol; 'close' follows and cleans up.
    socket.on('error', () => undefined);
    socket.on('drain', () => this.resumeIfIdle());
  }

  /** Stops reading, waits (at most graceMs) for dispatches under way, then ends the socket. */
  async close(graceMs: number): Promise<void> {
    this.ended = true;
    this.socket.pause();
    await settledWithin(Promise.allSettled([...this.pending]), graceMs);
    this.socket.end();
    if (!(await settledWithin(this.closed, graceMs))) this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    if (this.ended) return;
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const max = this.options.maxLineBytes;
    let start = 0;
    for (let end = this.buffered.indexOf(LF, start); end !== -1; end = this.buffered.indexOf(LF, start)) {
      const contentEnd = end > start && this.buffered[end - 1] === CR ? end - 1 : end;
      if (contentEnd - start > max) {
        this.rejectTooLong();
        return;
      }
      // Written back byte for byte, terminator included, before anything else happens to it.
      const writable = this.socket.write(this.buffered.subarray(start, end + 1));
      this.track(
        this.listener.onLine({
          line: this.buffered.toString('utf8', start, contentEnd),
          remoteAddress: this.remoteAddress,
          receivedAt: new Date(),
        }),
      );
      if (!writable) this.socket.pause();
      start = end + 1;
    }
    this.buffered = this.buffered.subarray(start);
    // No terminator yet: one byte over the limit may still be the CR of a CRLF.
    const rest = this.buffered.length;
    if (rest > max + 1 || (rest === max + 1 && this.buffered[rest - 1] !== CR)) {
      this.rejectTooLong();
    }
  }

  private rejectTooLong(): void {
    this.ended = true;
    this.buffered = Buffer.alloc(0);
    this.listener.onTooLong();
    // Half-close and keep reading (and dropping) until the peer closes: destroying a socket with
    // unread input sends a reset, which can discard the error line before the peer reads it.
    this.socket.end(`ERROR line too long (max ${this.options.maxLineBytes} bytes)\r\n`);
    this.socket.resume();
    setTimeout(() => this.socket.destroy(), this.options.closeGraceMs).unref();
  }

  private track(dispatch: Promise<void>): void {
    this.pending.add(dispatch);
    if (this.pending.size >= this.maxPending) this.socket.pause();
    void dispatch.finally(() => {
      this.pending.delete(dispatch);
      this.resumeIfIdle();
    });
  }

  private resumeIfIdle(): void {
    if (this.ended || !this.socket.isPaused()) return;
    if (this.pending.size < this.maxPending && !this.socket.writableNeedDrain) this.socket.resume();
  }
}
