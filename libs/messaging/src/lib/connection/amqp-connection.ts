import { Logger } from '@nestjs/common';
import amqp, { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { amqpUrlList, redactAmqpUrl } from '../config/env';
import { amqpSocketOptions, AmqpTlsFiles } from '../config/tls';
import { BrokerUnreachableError } from '../errors';
import { RateLimitedLog } from '../logging/rate-limited-log';

/** How much may wait in the socket's write buffer before amqplib holds back frames. */
const SOCKET_WRITE_BUFFER_BYTES = 1024 * 1024;

export interface AmqpConnectionOptions {
  /**
   * `amqp://user:password@host:port/vhost` (vhost URL-encoded), or several separated by commas (the
   * nodes of a cluster): each (re)connect tries the next node in the list, round the list.
   */
  readonly url: string;
  /** Shown as `connection_name` in the management UI and `rabbitmqctl list_connections`. */
  readonly connectionName: string;
  /** AMQP heartbeat; a dead peer is noticed after about twice this. Default 5. */
  readonly heartbeatSeconds?: number;
  /** Wait before each reconnect attempt. Default 1000. */
  readonly reconnectDelayMs?: number;
  /** For `amqps:` URLs: the CA, client certificate and key (see readAmqpTls); verification is always on. */
  readonly tls?: AmqpTlsFiles;
}

/**
 * Where the connection stands: `connecting` until the first attempt ends, `connected`, `reconnecting`
 * after losing the connection until an attempt fails, `unreachable` from a failed attempt until one
 * succeeds (attempts go on in the background), `closed` once closed by its owner.
 */
export type AmqpConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'unreachable' | 'closed';

export interface AmqpChannelOptions {
  /** For logs. */
  readonly name: string;
  /** Runs on every new underlying channel, after each (re)connect, before it is used. */
  readonly setup?: (channel: ConfirmChannel) => Promise<void>;
}

/**
 * One AMQP connection that reconnects by itself (amqp-connection-manager), with a heartbeat and a
 * name. Channels made with `createChannel` are re-created and set up again after every reconnect.
 *
 * A channel the broker closes while the connection stays up (a failed declaration, an ack with an
 * unknown delivery tag) is not re-opened by amqp-connection-manager; this class then reconnects the
 * whole connection after `reconnectDelayMs`, so that no channel stays dead.
 */
export class AmqpConnection {
  private readonly logger: Logger;
  /** Repeated identical warnings (a channel refused again and again) are written once per window. */
  private readonly log: RateLimitedLog;
  readonly manager: AmqpConnectionManager;
  readonly url: string;
  readonly connectionName: string;
  private closed = false;
  private lastError?: Error;
  private recoveryTimer?: NodeJS.Timeout;
  private currentUrl?: string;
  private hasConnected = false;
  private blockedReason?: string;
  private blockedSince?: number;
  private blockedMsBefore = 0;

  constructor(private readonly options: AmqpConnectionOptions) {
    this.url = options.url;
    this.connectionName = options.connectionName;
    this.logger = new Logger(`AmqpConnection(${options.connectionName})`);
    this.log = new RateLimitedLog(this.logger);
    const heartbeatIntervalInSeconds = options.heartbeatSeconds ?? 5;
    this.manager = amqp.connect(amqpUrlList(options.url), {
      heartbeatIntervalInSeconds,
      reconnectTimeInSeconds: (options.reconnectDelayMs ?? 1000) / 1000,
      connectionOptions: {
        ...amqpSocketOptions(amqpUrlList(options.url)[0] ?? options.url, options.tls),
        clientProperties: { connection_name: options.connectionName },
        // amqplib's writer stops at the socket's high-water mark and then writes one frame per
        // system call once the socket drains: room for a whole burst of frames.
        // net.Socket passes the option to its stream; @types/node does not list it.
        ...({ writableHighWaterMark: SOCKET_WRITE_BUFFER_BYTES } as object),
      },
    });
    this.manager.on('connect', ({ url }) => {
      this.lastError = undefined;
      this.currentUrl = typeof url === 'string' ? url : undefined;
      this.hasConnected = true;
      this.logger.log(`connected to ${this.redactedNodeUrl}`);
    });
    this.manager.on('disconnect', ({ err }) => {
      // A block belongs to the connection: a new one starts unblocked.
      this.endBlock();
      if (!this.closed)
        this.log.warn(
          `disconnected from ${this.redactedNodeUrl}: ${err?.message ?? 'closed'}${this.isCluster ? '; trying the next node' : ''}`,
        );
    });
    this.manager.on('connectFailed', ({ err, url }) => {
      // Logged once per outage, not once per attempt.
      if (!this.lastError)
        this.logger.warn(
          `cannot connect to ${typeof url === 'string' ? redactAmqpUrl(url) : this.redactedUrl}: ${err.message}; retrying${this.isCluster ? ' (each node in turn)' : ''}`,
        );
      this.lastError = err;
    });
    this.manager.on('blocked', ({ reason }) => {
      this.blockedReason = reason || 'blocked by the broker';
      this.blockedSince ??= Date.now();
      this.logger.warn(`the broker blocked publishing: ${reason}`);
    });
    this.manager.on('unblocked', () => {
      this.endBlock();
      this.logger.log('the broker unblocked publishing');
    });
  }

  /**
   * The reason the broker gave (`connection.blocked`, e.g. `low on memory`) while it blocks this
   * connection's publishing (a resource alarm), undefined otherwise. Publishes wait unconfirmed
   * meanwhile; readiness should report it.
   */
  get blocked(): string | undefined {
    return this.blockedReason;
  }

  /** Seconds this connection has spent blocked since it was made, the current block included. */
  get blockedSeconds(): number {
    const current = this.blockedSince === undefined ? 0 : Date.now() - this.blockedSince;
    return (this.blockedMsBefore + current) / 1000;
  }

  /** See AmqpConnectionState. */
  get state(): AmqpConnectionState {
    if (this.closed) return 'closed';
    if (this.manager.isConnected()) return 'connected';
    if (this.lastError) return 'unreachable';
    return this.hasConnected ? 'reconnecting' : 'connecting';
  }

  /** The error of the last failed connection attempt, while the broker is unreachable. */
  get lastConnectError(): Error | undefined {
    return this.lastError;
  }

  get redactedUrl(): string {
    return redactAmqpUrl(this.url);
  }

  /**
   * The node this connection is (or was last) connected to, password redacted; one of the URLs of
   * `url`. For logs and health details.
   */
  get redactedNodeUrl(): string {
    return redactAmqpUrl(this.currentUrl ?? this.url);
  }

  private get isCluster(): boolean {
    return amqpUrlList(this.url).length > 1;
  }

  isConnected(): boolean {
    return !this.closed && this.manager.isConnected();
  }

  /**
   * Waits until connected. Throws BrokerUnreachableError after `timeoutMs` (reconnect attempts go on in
   * the background) or at once when the broker refuses the credentials.
   */
  async connect(timeoutMs = 30_000): Promise<void> {
    if (this.isConnected()) return;
    try {
      await this.manager.connect({ timeout: timeoutMs });
    } catch (error) {
      const cause = this.lastError ?? (error instanceof Error ? error : undefined);
      throw new BrokerUnreachableError(this.redactedUrl, timeoutMs, cause);
    }
  }

  /**
   * A confirm channel that survives reconnects: `setup` runs on every new underlying channel (declare
   * what the channel uses there). Errors of the underlying channel are logged, never thrown.
   */
  createChannel(options: AmqpChannelOptions): ChannelWrapper {
    let closedByOwner = false;
    const setup = async (channel: ConfirmChannel) => {
      const connection = this.manager.connection;
      channel.on('error', (error: Error) =>
        this.log.error(`channel ${options.name} closed by the broker: ${error.message}`),
      );
      channel.once('close', () => {
        if (!closedByOwner && !this.closed) this.recoverFrom(connection, options.name);
      });
      await options.setup?.(channel);
    };
    const wrapper = this.manager.createChannel({
      name: options.name,
      confirm: true,
      setup,
    });
    wrapper.once('close', () => {
      closedByOwner = true;
    });
    wrapper.on('error', (error: Error) => this.log.error(`channel ${options.name}: ${error.message}`));
    return wrapper;
  }

  /**
   * Runs `work` on a fresh, dedicated channel and closes it afterwards. A broker error (e.g.
   * PRECONDITION_FAILED on a declaration) closes only that channel and is rethrown.
   */
  async withDedicatedChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
    const connection = this.manager.connection as ChannelModel | undefined;
    if (!connection) throw new BrokerUnreachableError(this.redactedUrl, 0, this.lastError);
    const channel = await connection.createChannel();
    let closed = false;
    channel.on('error', () => undefined);
    channel.once('close', () => {
      closed = true;
    });
    try {
      return await work(channel);
    } finally {
      if (!closed) await channel.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.recoveryTimer);
    await this.manager.close();
  }

  private endBlock(): void {
    if (this.blockedSince !== undefined) this.blockedMsBefore += Date.now() - this.blockedSince;
    this.blockedSince = undefined;
    this.blockedReason = undefined;
  }

  private recoverFrom(connection: ChannelModel | undefined, channelName: string): void {
    clearTimeout(this.recoveryTimer);
    this.recoveryTimer = setTimeout(() => {
      // Only when the connection that carried the channel is still the current one: after a
      // disconnect the manager reconnects (and re-creates channels) by itself.
      if (this.closed || !connection || this.manager.connection !== connection) return;
      this.log.warn(`channel ${channelName} was closed by the broker; reconnecting to re-open it`);
      this.manager.reconnect();
    }, this.options.reconnectDelayMs ?? 1000);
    this.recoveryTimer.unref();
  }
}
