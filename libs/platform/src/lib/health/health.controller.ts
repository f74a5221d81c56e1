import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import { Readiness } from './readiness';

/**
 * `GET /health/live`: 200 while the process can serve (a hung event loop cannot answer at all).
 * `GET /health/ready`: 200 when every readiness check is up, 503 naming the failing parts otherwise.
 */
@ApiTags('platform')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: Readiness,
  ) {}

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: 200 while the process can serve' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: 200 when every check is up, 503 naming the failing parts' })
  async ready(): Promise<HealthCheckResult> {
    const report = await this.readiness.report();
    return this.health.check(
      Object.entries(report.checks).map(([name, { up, ...details }]) => () => {
        const indicator = this.indicators.check(name);
        return up ? indicator.up(details) : indicator.down(details);
      }),
    );
  }
}
