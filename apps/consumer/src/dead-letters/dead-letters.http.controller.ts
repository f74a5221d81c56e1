import { BadRequestException, Controller, Get, HttpCode, Inject, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Topology } from '@hello/contracts';
import { ApiErrors } from '@hello/platform';
import { z } from 'zod';
import { DeadLetter, DeadLetterQueue, DeadLetterSummary, RedriveResult } from '@hello/messaging';
import { CONSUMER_CONFIG, ConsumerConfig } from '../config/consumer.config';
import { AdminTokenGuard } from './admin-token.guard';

const DeadLetterSummarySchema = z
  .object({
    queue: z.string(),
    messages: z.int().min(0),
    byReason: z.record(z.string(), z.int().min(0)).meta({ description: 'Messages by x-hello-death-reason.' }),
    oldestAgeSeconds: z.number().min(0).optional(),
  })
  .meta({ title: 'DeadLetterSummary' }) satisfies z.ZodType<DeadLetterSummary>;

const DeadLetterSchema = z
  .object({
    messageId: z.string().optional(),
    type: z.string().optional(),
    reason: z.string(),
    detail: z.string().optional(),
    sourceQueue: z.string().meta({ description: 'Where a re-drive would send it.' }),
    headers: z.record(z.string(), z.unknown()),
    body: z.string(),
  })
  .meta({ title: 'DeadLetter' }) satisfies z.ZodType<DeadLetter>;

const RedriveResultSchema = z
  .object({
    moved: z.int().min(0),
    matched: z.array(z.object({ messageId: z.string().optional(), reason: z.string(), to: z.string() })),
  })
  .meta({ title: 'RedriveResult' }) satisfies z.ZodType<RedriveResult>;

/**
 * The dead letters of `hello`, for operators: the same as `npm run dlq -- list|show|redrive`, over
 * HTTP, behind CONSUMER_ADMIN_TOKEN (see AdminTokenGuard).
 */
@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors({
  401: 'No bearer token.',
  403: 'Not the admin token (CONSUMER_ADMIN_TOKEN).',
  404: 'CONSUMER_ADMIN_TOKEN is not set: the endpoints are off.',
})
@Controller('admin/dead-letters')
@UseGuards(AdminTokenGuard)
export class DeadLettersHttpController {
  constructor(@Inject(CONSUMER_CONFIG) private readonly config: ConsumerConfig) {}

  /** Counts by reason and the age of the oldest. */
  @Get()
  @ApiOperation({ summary: 'The dead letters of `hello`: counts by reason, the age of the oldest' })
  @ApiOkResponse({ description: 'The summary.', standardSchema: DeadLetterSummarySchema })
  list(): Promise<DeadLetterSummary> {
    return this.withQueue((queue) => queue.list());
  }

  /** Headers and bodies: `?reason=R&limit=N`. */
  @Get('messages')
  @ApiOperation({ summary: 'Headers and bodies of the dead letters (they stay in the queue)' })
  @ApiQuery({ name: 'reason', required: false, description: 'Only this x-hello-death-reason.' })
  @ApiQuery({ name: 'limit', required: false, description: 'At most this many (1 to 100000).' })
  @ApiOkResponse({ description: 'The dead letters.', standardSchema: z.array(DeadLetterSchema) })
  @ApiErrors({ 400: 'A limit that is not a whole number from 1 to 100000.' })
  show(@Query('reason') reason?: string, @Query('limit') limit?: string): Promise<DeadLetter[]> {
    const filter = { reason, limit: limitOf(limit) };
    return this.withQueue((queue) => queue.show(filter));
  }

  /** Moves messages back to `hello`: `?reason=R&limit=N&dryRun=true`. */
  @Post('redrive')
  @HttpCode(200)
  @ApiOperation({ summary: 'Move dead letters back to `hello`, each confirmed before it is removed' })
  @ApiQuery({ name: 'reason', required: false, description: 'Only this x-hello-death-reason.' })
  @ApiQuery({ name: 'limit', required: false, description: 'At most this many (1 to 100000).' })
  @ApiQuery({ name: 'dryRun', required: false, description: '`true`: say what would move, move nothing.' })
  @ApiOkResponse({ description: 'What moved.', standardSchema: RedriveResultSchema })
  @ApiErrors({ 400: 'A limit that is not a whole number from 1 to 100000.' })
  redrive(
    @Query('reason') reason?: string,
    @Query('limit') limit?: string,
    @Query('dryRun') dryRun?: string,
  ): Promise<RedriveResult> {
    const filter = { reason, limit: limitOf(limit), dryRun: dryRun === 'true' };
    return this.withQueue((queue) => queue.redrive(filter));
  }

  private async withQueue<T>(work: (queue: DeadLetterQueue) => Promise<T>): Promise<T> {
    const queue = await DeadLetterQueue.open(
      this.config.rabbitmqUrl,
      Topology.helloDeadLetterQueue,
      this.config.rabbitmqTls,
    );
    try {
      return await work(queue);
    } finally {
      await queue.close();
    }
  }
}

function limitOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) {
    throw new BadRequestException(`limit must be a whole number from 1 to 100000, got "${raw}"`);
  }
  return limit;
}
