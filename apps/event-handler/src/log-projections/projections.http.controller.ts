import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { LogProjectionRunner, type ProjectionStatus } from './log-projection-runner';

const time = (description: string) => z.string().meta({ format: 'date-time', description });

const ProjectionStatusSchema = z
  .object({
    name: z.string(),
    state: z.enum(['backfilling', 'live', 'partial']),
    lastOffset: z.int().min(0).optional().meta({ description: 'The offset of the last log entry applied.' }),
    lastAppliedAt: time('When that entry was applied.').optional(),
    eventsSkipped: z.int().min(0).meta({ description: 'Log entries that were not valid events, skipped.' }),
    historyFrom: time('When `partial`: from when its history is complete.').optional(),
    lag: z.int().min(0).optional().meta({ description: "Log entries after lastOffset up to the log's tail." }),
  })
  .meta({ title: 'ProjectionStatus' }) satisfies z.ZodType<ProjectionStatus>;

@ApiTags('projections')
@Controller()
export class ProjectionsHttpController {
  constructor(private readonly runner: LogProjectionRunner) {}

  /** Each projection fed from the event log: state, last applied offset and time, lag behind the log's tail. */
  @Get('projections')
  @ApiOperation({ summary: 'The projections fed from the event log: state, position and lag' })
  @ApiOkResponse({
    description: 'One entry per projection.',
    standardSchema: z.object({ projections: z.array(ProjectionStatusSchema) }).meta({ title: 'Projections' }),
  })
  async projections(): Promise<{ projections: ProjectionStatus[] }> {
    return { projections: await this.runner.statuses() };
  }
}
