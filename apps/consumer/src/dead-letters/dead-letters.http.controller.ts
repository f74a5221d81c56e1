import { BadRequestException, Controller, Get, HttpCode, Inject, Post, Query, UseGuards } from '@nestjs/common';
import { Topology } from '@hello/contracts';
import { DeadLetter, DeadLetterQueue, DeadLetterSummary, RedriveResult } from '@hello/messaging';
import { CONSUMER_CONFIG, ConsumerConfig } from '../config/consumer.config';
import { AdminTokenGuard } from './admin-token.guard';

/**
 * The dead letters of `hello`, for operators: the same as `npm run dlq -- list|show|redrive`, over
 * HTTP, behind CONSUMER_ADMIN_TOKEN (see AdminTokenGuard).
 */
@Controller('admin/dead-letters')
@UseGuards(AdminTokenGuard)
export class DeadLettersHttpController {
  constructor(@Inject(CONSUMER_CONFIG) private readonly config: ConsumerConfig) {}

  /** Counts by reason and the age of the oldest. */
  @Get()
  list(): Promise<DeadLetterSummary> {
    return this.withQueue((queue) => queue.list());
  }

  /** Headers and bodies: `?reason=R&limit=N`. */
  @Get('messages')
  show(@Query('reason') reason?: string, @Query('limit') limit?: string): Promise<DeadLetter[]> {
    const filter = { reason, limit: limitOf(limit) };
    return this.withQueue((queue) => queue.show(filter));
  }

  /** Moves messages back to `hello`: `?reason=R&limit=N&dryRun=true`. */
  @Post('redrive')
  @HttpCode(200)
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
