import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';

/**
 * How long an idle keep-alive connection stays open. Above the idle timeouts of the proxies and load
 * balancers usually put in front (60 s for AWS ALB and nginx's upstream keep-alive): the side that
 * closes an idle connection must be the client, or a request sent on a connection the server is
 * closing at that moment fails with "socket hang up" / "other side closed" (Node's default is 5 s).
 */
export const DEFAULT_HTTP_KEEP_ALIVE_TIMEOUT_MS = 65_000;

export const HTTP_KEEP_ALIVE_TIMEOUT = Symbol('HTTP_KEEP_ALIVE_TIMEOUT');

/** Sets the keep-alive timeout, and the headers timeout just above it as Node expects, on `server`. */
export function applyHttpTimeouts(server: Server, keepAliveTimeoutMs: number): void {
  server.keepAliveTimeout = keepAliveTimeoutMs;
  server.headersTimeout = keepAliveTimeoutMs + 1_000;
}

/** Applies the timeouts to the app's HTTP server, when it has one, before it listens. */
@Injectable()
export class HttpTimeouts implements OnApplicationBootstrap {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(HTTP_KEEP_ALIVE_TIMEOUT) private readonly keepAliveTimeoutMs: number,
  ) {}

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (server) applyHttpTimeouts(server, this.keepAliveTimeoutMs);
  }
}
