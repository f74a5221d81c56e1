import type { Kysely, Transaction } from 'kysely';
import type { EventHandlerSchema, OutboxTable } from '../database/database-schema';
import type { EventHandlerDatabase } from '../database/event-handler-database';

/** A message to publish once the transaction that wrote it has committed. */
export interface OutboxMessage {
  readonly messageId: string;
  readonly exchange: string;
  readonly routingKey: string;
  readonly type: string;
  readonly body: object;
  /** The event whose projection wrote this message. */
  readonly causeEventId: string;
}

export interface PendingOutboxMessage extends OutboxMessage {
  readonly attempts: number;
  readonly createdAt: string;
}

/** What `sendOnce` did. */
export type SendOutcome = 'sent' | 'not-pending' | 'sending-elsewhere';

/** How many pending messages one sweep reads at most. */
export const PENDING_BATCH = 500;

/**
 * The `outbox` table: messages written by projectors in their inbox transaction, waiting to be
 * published. `sendOnce` is what makes several relays (replicas) safe together.
 */
export class OutboxStore {
  constructor(private readonly database: EventHandlerDatabase) {}

  private get db(): Kysely<EventHandlerSchema> {
    return this.database.db;
  }

  get isOpen(): boolean {
    return this.database.isOpen;
  }

  /** Writes `message` in the caller's transaction; a message id written before is left as it is. */
  async add(trx: Transaction<EventHandlerSchema>, message: OutboxMessage): Promise<void> {
    await trx
      .insertInto('outbox')
      .values({
        message_id: message.messageId,
        exchange: message.exchange,
        routing_key: message.routingKey,
        type: message.type,
        body: JSON.stringify(message.body),
        cause_event_id: message.causeEventId,
        created_at: new Date().toISOString(),
      })
      .onConflict((oc) => oc.column('message_id').doNothing())
      .execute();
  }

  /** Messages not yet confirmed by the broker, oldest first (at most PENDING_BATCH). */
  async pending(): Promise<PendingOutboxMessage[]> {
    const rows = await this.db
      .selectFrom('outbox')
      .selectAll()
      .where('sent_at', 'is', null)
      .orderBy('created_at')
      .orderBy('message_id')
      .limit(PENDING_BATCH)
      .execute();
    return rows.map(toOutboxMessage);
  }

  /** Pending and sent messages; `db` is a transaction to read them in, when given. */
  async totals(db: Kysely<EventHandlerSchema> = this.db): Promise<{ pending: number; sent: number }> {
    const row = await db
      .selectFrom('outbox')
      .select((eb) => [
        eb.fn.countAll<number>().filterWhere('sent_at', 'is', null).as('pending'),
        eb.fn.countAll<number>().filterWhere('sent_at', 'is not', null).as('sent'),
      ])
      .executeTakeFirstOrThrow();
    return { pending: Number(row.pending), sent: Number(row.sent) };
  }

  async pendingCount(): Promise<number> {
    return (await this.totals()).pending;
  }

  /** The message with this id if it is still unsent. */
  async pendingMessage(messageId: string): Promise<PendingOutboxMessage | undefined> {
    const row = await this.db
      .selectFrom('outbox')
      .selectAll()
      .where('message_id', '=', messageId)
      .where('sent_at', 'is', null)
      .executeTakeFirst();
    return row && toOutboxMessage(row);
  }

  async markSent(messageId: string, sentAt: Date = new Date()): Promise<void> {
    await markSent(this.db, messageId, sentAt);
  }

  async markFailed(messageId: string, error: string): Promise<void> {
    await this.db
      .updateTable('outbox')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: error.slice(0, 1000) }))
      .where('message_id', '=', messageId)
      .execute();
  }

  /**
   * Runs `send` for the message if it is still pending, and marks it sent when `send` resolves.
   * On PostgreSQL the row stays locked (`FOR UPDATE SKIP LOCKED`) from the read to the mark, so
   * of several replicas sending at once exactly one publishes; the others get
   * 'sending-elsewhere' at once instead of waiting. If the sender dies, its transaction ends
   * and the row is pending again. SQLite serves one process, whose relay never sends one message
   * twice at a time, so there the read and the mark need no lock held across the publish (which
   * would stall every other statement on the single connection).
   * If `send` rejects, nothing is marked and the error propagates.
   */
  async sendOnce(messageId: string, send: (message: PendingOutboxMessage) => Promise<void>): Promise<SendOutcome> {
    if (this.database.dialect === 'sqlite') {
      const message = await this.pendingMessage(messageId);
      if (!message) return 'not-pending';
      await send(message);
      await this.markSent(messageId);
      return 'sent';
    }
    const outcome = await this.db.transaction().execute(async (trx): Promise<SendOutcome | undefined> => {
      const row = await trx
        .selectFrom('outbox')
        .selectAll()
        .where('message_id', '=', messageId)
        .where('sent_at', 'is', null)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!row) return undefined;
      await send(toOutboxMessage(row));
      await markSent(trx, messageId, new Date());
      return 'sent';
    });
    if (outcome) return outcome;
    // Skipped: either sent already or locked by a replica publishing it right now.
    return (await this.pendingMessage(messageId)) ? 'sending-elsewhere' : 'not-pending';
  }
}

async function markSent(db: Kysely<EventHandlerSchema>, messageId: string, sentAt: Date): Promise<void> {
  await db
    .updateTable('outbox')
    .set({ sent_at: sentAt.toISOString(), last_error: null })
    .where('message_id', '=', messageId)
    .execute();
}

type OutboxRow = { [K in keyof OutboxTable]: K extends 'attempts' ? number : OutboxTable[K] };

function toOutboxMessage(row: OutboxRow): PendingOutboxMessage {
  return {
    messageId: row.message_id,
    exchange: row.exchange,
    routingKey: row.routing_key,
    type: row.type,
    body: JSON.parse(row.body) as object,
    causeEventId: row.cause_event_id,
    attempts: Number(row.attempts),
    createdAt: row.created_at,
  };
}
