import { Injectable, Logger } from '@nestjs/common';
import { GREETER_FULL_NAME, HealthCheckResponse_ServingStatus as ServingStatus } from '@hello/contracts';
import { concat, defer, distinctUntilChanged, map, of, Subject, type Observable } from 'rxjs';

/**
 * The serving status of every service the greeter reports through grpc.health.v1: the server as
 * a whole ("") and helloworld.Greeter. Both are SERVING from start-up until shutdown begins, except
 * while the event backlog is above its high-water mark.
 */
@Injectable()
export class HealthStatusRegistry {
  private readonly logger = new Logger(HealthStatusRegistry.name);
  private readonly statuses = new Map<string, ServingStatus>([
    ['', ServingStatus.SERVING],
    [GREETER_FULL_NAME, ServingStatus.SERVING],
  ]);
  private readonly changed = new Subject<void>();
  private shuttingDown = false;

  /** The status of a known service, or undefined when the service is not known. */
  statusOf(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  /**
   * The current status of a service, then each change; SERVICE_UNKNOWN for one not known.
   * Completes once shutdown has begun and NOT_SERVING has been sent, so open Watch calls end
   * instead of holding up the drain.
   */
  watch(service: string): Observable<ServingStatus> {
    const current = () => this.statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN;
    return defer(() => concat(of(current()), this.changed.pipe(map(current)))).pipe(distinctUntilChanged());
  }

  /** Sets every service SERVING or NOT_SERVING (from the app's readiness) and tells the watchers. */
  setServing(serving: boolean): void {
    if (this.shuttingDown) return;
    const status = serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    if (this.statuses.get('') === status) return;
    for (const service of this.statuses.keys()) this.statuses.set(service, status);
    this.logger.log(`every service now reports ${serving ? 'SERVING' : 'NOT_SERVING'}`);
    this.changed.next();
  }

  /** Reports every service NOT_SERVING, tells the watchers, then ends their streams. */
  beginShutdown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const service of this.statuses.keys()) this.statuses.set(service, ServingStatus.NOT_SERVING);
    this.logger.log('shutting down: every service now reports NOT_SERVING');
    this.changed.next();
    this.changed.complete();
  }
}
