import { Injectable } from '@nestjs/common';

/** One part readiness depends on: `up` or not, with details (`reason`, counts…) for the report. */
export interface ReadinessCheckResult {
  readonly up: boolean;
  readonly [detail: string]: unknown;
}

export interface ReadinessCheck {
  /** Names the part in `/health/ready` (e.g. `broker`, `consumer:hello`, `publisher:consumer`, `database`). */
  readonly name: string;
  check(): ReadinessCheckResult | Promise<ReadinessCheckResult>;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, ReadinessCheckResult>>;
}

/**
 * What the app must have to take work: each app registers its checks (broker connection, consumers,
 * confirm channel, database…). `/health/ready` and the greeter's grpc.health.v1 both report from here.
 * Once shutdown has begun the app is not ready, whatever its parts say.
 */
@Injectable()
export class Readiness {
  private readonly checks: ReadinessCheck[] = [];
  private shuttingDown = false;

  /** Adds checks: from the onModuleInit of the app's readiness provider (`health/<app>-readiness.ts`). */
  register(...checks: ReadinessCheck[]): void {
    this.checks.push(...checks);
  }

  beginShutdown(): void {
    this.shuttingDown = true;
  }

  async report(): Promise<ReadinessReport> {
    const results: Record<string, ReadinessCheckResult> = {};
    if (this.shuttingDown) results['shutdown'] = { up: false, reason: 'shutting down' };
    await Promise.all(
      this.checks.map(async (check) => {
        try {
          results[check.name] = await check.check();
        } catch (error) {
          results[check.name] = { up: false, reason: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
    return { ready: Object.values(results).every((result) => result.up), checks: results };
  }
}
