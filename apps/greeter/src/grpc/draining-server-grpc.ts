import { Logger } from '@nestjs/common';
import { ServerGrpc, type GrpcOptions } from '@nestjs/microservices';
import type { Server } from '@grpc/grpc-js';

/**
 * ServerGrpc whose close() drains: it stops accepting calls, lets the calls in flight finish
 * for up to `graceMs`, then cuts off whatever is left. (Nest's own close() either cuts off at
 * once or, with `gracefulShutdown`, waits with no limit for calls that may never end.)
 */
export class DrainingServerGrpc extends ServerGrpc {
  private readonly drainLogger = new Logger(DrainingServerGrpc.name);
  private cutOff?: () => void;

  constructor(
    options: GrpcOptions['options'],
    private readonly graceMs: number,
  ) {
    super(options);
  }

  override async close(): Promise<void> {
    const server = this.grpcClient as Server | null;
    if (!server) return;
    this.grpcClient = null;
    await new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(deadline);
        this.cutOff = undefined;
        resolve();
      };
      const cutOff = () => {
        server.forceShutdown();
        finish();
      };
      const deadline = setTimeout(() => {
        this.drainLogger.warn(`calls still in flight after ${this.graceMs} ms: cutting them off`);
        cutOff();
      }, this.graceMs);
      this.cutOff = cutOff;
      server.tryShutdown(finish);
    });
  }

  /** Cuts off the calls still in flight now instead of at the end of the grace period. */
  forceClose(): void {
    if (this.cutOff) this.cutOff();
    else (this.grpcClient as Server | null)?.forceShutdown();
  }
}
