import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Post,
} from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, requestBodySchema } from '@hello/platform';
import { z } from 'zod';
import { PROJECTORS, type Projector } from '../projections/projector';
import {
  ProjectionRebuilder,
  RebuildInProgress,
  type RebuildRequest,
  UnknownProjection,
} from '../rebuild/projection-rebuilder';
import type { RebuildReport } from '../rebuild/rebuild-report';
import { LogProjectionRunner, type ProjectionStatus } from './log-projection-runner';
import { LogProjectionStore } from './log-projection-store';

const time = (description: string) => z.string().meta({ format: 'date-time', description });

const ProjectionStatusSchema = z
  .object({
    name: z.string(),
    source: z
      .enum(['log', 'queue'])
      .meta({ description: 'Fed from the event log, or from the queue event-handler.events.' }),
    state: z.enum(['backfilling', 'live', 'partial', 'rebuilding']),
    lastOffset: z.int().min(0).optional().meta({
      description: 'The offset of the last log entry applied (queue-fed: where its last rebuild stopped).',
    }),
    lastAppliedAt: time('When that entry was applied.').optional(),
    eventsSkipped: z.int().min(0).meta({ description: 'Log entries that were not valid events, skipped.' }),
    historyFrom: time('When `partial`: from when its history is complete.').optional(),
    lag: z.int().min(0).optional().meta({ description: "Log entries after lastOffset up to the log's tail." }),
  })
  .meta({ title: 'ProjectionStatus' }) satisfies z.ZodType<ProjectionStatus>;

const RebuildReportSchema = z
  .object({
    id: z.string(),
    state: z.enum(['running', 'swapping', 'done', 'failed']),
    projections: z.array(z.string()),
    from: z.string().meta({ description: '`first`, or the time the log was read from.' }),
    startedAt: time('When it started.'),
    caughtUpAt: time("When the fresh tables had reached the log's tail of the start.").optional(),
    finishedAt: time('When it was done or failed.').optional(),
    entriesRead: z.int().min(0),
    eventsApplied: z.int().min(0).meta({ description: 'Events applied, counted once per projection.' }),
    lastOffset: z.int().min(0).optional(),
    historyFrom: time('Set when the rebuilt history is not complete from the beginning (partial).').optional(),
    skipped: z.object({
      total: z.int().min(0),
      byReason: z.record(z.string(), z.int().min(0)),
      entries: z.array(z.object({ offset: z.int().min(0), reason: z.string(), detail: z.string() })),
    }),
    durationMs: z.int().min(0).optional(),
    eventsPerSecond: z.int().min(0).optional(),
    error: z.string().optional(),
  })
  .meta({ title: 'RebuildReport' }) satisfies z.ZodType<RebuildReport>;

// An ISO 8601 date and time with a time zone (Z or ±hh:mm).
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

const RebuildRequestSchema = z
  .object({
    projections: z
      .array(z.string().min(1))
      .optional()
      .meta({ description: 'The projections to rebuild; all when absent or empty.' }),
    from: z
      .string()
      .refine((from) => from === 'first' || (ISO_TIME.test(from) && !Number.isNaN(Date.parse(from))), {
        message: 'from must be "first" or an ISO 8601 time with a time zone',
      })
      .optional()
      .meta({ description: '`first` (default): the whole log; or a time: the history from then on (partial).' }),
  })
  .strict()
  .meta({ title: 'RebuildRequest' });

@ApiTags('projections')
@Controller()
export class ProjectionsHttpController {
  constructor(
    private readonly runner: LogProjectionRunner,
    private readonly rebuilder: ProjectionRebuilder,
    private readonly positions: LogProjectionStore,
    @Inject(PROJECTORS) private readonly projectors: Projector[],
  ) {}

  /** Every projection: where it is fed from, its state, last applied offset and time, lag behind the log's tail. */
  @Get('projections')
  @ApiOperation({ summary: 'The projections: source, state, position and lag' })
  @ApiOkResponse({
    description: 'One entry per projection.',
    standardSchema: z.object({ projections: z.array(ProjectionStatusSchema) }).meta({ title: 'Projections' }),
  })
  async projections(): Promise<{ projections: ProjectionStatus[] }> {
    const rebuilding = this.rebuilder.rebuilding();
    const fromQueue = await Promise.all(
      this.projectors.map(async ({ projection: name }): Promise<ProjectionStatus> => {
        const position = await this.positions.position(name);
        return {
          name,
          source: 'queue',
          state: position?.historyFrom === undefined ? 'live' : 'partial',
          ...(position ? { lastOffset: position.offset, lastAppliedAt: position.appliedAt } : {}),
          eventsSkipped: position?.eventsSkipped ?? 0,
          ...(position?.historyFrom === undefined ? {} : { historyFrom: position.historyFrom }),
        };
      }),
    );
    const all = [...fromQueue, ...(await this.runner.statuses())];
    return { projections: all.map((p) => (rebuilding.has(p.name) ? { ...p, state: 'rebuilding' } : p)) };
  }

  /**
   * Starts rebuilding projections from the event log into fresh tables that replace the live ones once
   * caught up (`npm run projections -- rebuild`); 202 with the report, to follow on GET.
   */
  @Post('projections/rebuild')
  @HttpCode(202)
  @ApiOperation({ summary: 'Rebuild projections from the event log while the event-handler runs' })
  @ApiBody({ required: false, schema: requestBodySchema(RebuildRequestSchema) })
  @ApiAcceptedResponse({
    description: 'Started; follow it on GET /projections/rebuild.',
    standardSchema: RebuildReportSchema,
  })
  @ApiErrors({
    400: 'An unknown projection name, or `from` neither `first` nor an ISO 8601 time with a zone (`invalid-request`).',
    409: 'A rebuild runs already, on this replica or another one of the same database (`rebuild-in-progress`).',
  })
  async rebuild(@Body() body: unknown): Promise<RebuildReport> {
    const parsed = RebuildRequestSchema.safeParse(body ?? {});
    if (!parsed.success) {
      throw invalid(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    }
    const { projections, from } = parsed.data;
    const request: RebuildRequest = {
      ...(projections ? { projections } : {}),
      ...(from ? { from: from === 'first' ? 'first' : new Date(from) } : {}),
    };
    if (request.from instanceof Date && request.from.getTime() > Date.now()) {
      throw invalid(`from (${request.from.toISOString()}) is in the future`);
    }
    try {
      return await this.rebuilder.start(request);
    } catch (error) {
      if (error instanceof UnknownProjection) throw invalid(error.message);
      if (error instanceof RebuildInProgress) {
        throw new ConflictException({ statusCode: 409, error: error.code, message: error.message });
      }
      throw error;
    }
  }

  /** The rebuild running on this replica, else the last one it ran (404: none since it started). */
  @Get('projections/rebuild')
  @ApiOperation({ summary: 'The rebuild running, or the last one: progress and report' })
  @ApiOkResponse({ description: 'Its report.', standardSchema: RebuildReportSchema })
  @ApiErrors({ 404: 'No rebuild ran on this replica since it started (`no-rebuild`).' })
  lastRebuild(): RebuildReport {
    const report = this.rebuilder.report();
    if (!report) {
      throw new NotFoundException({
        statusCode: 404,
        error: 'no-rebuild',
        message: 'no rebuild ran on this replica since it started',
      });
    }
    return report;
  }
}

function invalid(message: string): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'invalid-request', message });
}
