import { Controller, Get } from '@nestjs/common';
import { LogProjectionRunner, type ProjectionStatus } from './log-projection-runner';

@Controller()
export class ProjectionsHttpController {
  constructor(private readonly runner: LogProjectionRunner) {}

  /** Each projection fed from the event log: state, last applied offset and time, lag behind the log's tail. */
  @Get('projections')
  async projections(): Promise<{ projections: ProjectionStatus[] }> {
    return { projections: await this.runner.statuses() };
  }
}
