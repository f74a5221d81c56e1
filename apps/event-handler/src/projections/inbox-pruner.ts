import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { EVENT_HANDLER_CONFIG, type EventHandlerConfig } from '../config/event-handler.config';
import { ProjectionStore } from './projection-store';

const HOUR_MS = 3_600_000;

/**
 * Keeps the inbox bounded: at start-up and every hour, deletes the event ids applied more than
 * EVENT_HANDLER_INBOX_RETENTION_HOURS ago. Every replica does so; deleting the same rows twice is
 * harmless (the second finds them gone).
 */
@Injectable()
export class InboxPruner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(InboxPruner.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly store: ProjectionStore,
    @Inject(EVENT_HANDLER_CONFIG) private readonly config: EventHandlerConfig,
  ) {}

  onApplicationBootstrap(): void {
    void this.prune();
    this.timer = setInterval(() => void this.prune(), HOUR_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Prunes now; resolves to how many inbox rows went (0 when it failed, which is logged). */
  prune(now: Date = new Date()): Promise<number> {
    this.running ??= this.pruneOnce(now).finally(() => (this.running = undefined));
    return this.running;
  }

  private async pruneOnce(now: Date): Promise<number> {
    if (!this.store.isOpen) return 0;
    const before = new Date(now.getTime() - this.config.inboxRetentionHours * HOUR_MS);
    try {
      const pruned = await this.store.pruneInbox(before);
      if (pruned > 0) this.logger.log(`pruned ${pruned} inbox entries applied before ${before.toISOString()}`);
      return pruned;
    } catch (error) {
      this.logger.warn(`could not prune the inbox: ${error instanceof Error ? error.message : String(error)}`);
      return 0;
    }
  }
}
