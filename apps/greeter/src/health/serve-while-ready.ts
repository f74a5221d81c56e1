import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Readiness } from '@hello/platform';
import { GreeterBroker } from '../messaging/greeter-broker';
import { HealthStatusRegistry } from './health-status.registry';

/** How often grpc.health.v1 follows the app's readiness. */
export const READINESS_POLL_MS = 500;

/**
 * Drives grpc.health.v1 from the same readiness as `GET /health/ready`: SERVING while every check is
 * up, NOT_SERVING (with the failing part logged) otherwise, so gRPC load balancers and HTTP probes
 * agree.
 */
@Injectable()
export class ServeWhileReady implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ServeWhileReady.name);
  private timer?: NodeJS.Timeout;
  private lastFailing = '';

  constructor(
    private readonly readiness: Readiness,
    private readonly registry: HealthStatusRegistry,
    broker: GreeterBroker,
  ) {
    broker.backlogChanged.subscribe(() => void this.follow());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.follow();
    this.timer = setInterval(() => void this.follow(), READINESS_POLL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async follow(): Promise<void> {
    const { ready, checks } = await this.readiness.report();
    const failing = Object.entries(checks)
      .filter(([, result]) => !result.up)
      .map(([name, result]) => `${name}${result['reason'] ? ` (${String(result['reason'])})` : ''}`)
      .join(', ');
    if (failing !== this.lastFailing && failing) this.logger.warn(`not ready: ${failing}`);
    this.lastFailing = failing;
    this.registry.setServing(ready);
  }
}
