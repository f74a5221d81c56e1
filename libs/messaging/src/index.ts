// Config
export * from './lib/config/env';
export * from './lib/config/retry-options';
export * from './lib/config/tls';
// Errors
export * from './lib/errors';
// Connection and topology
export * from './lib/connection/amqp-connection';
export * from './lib/topology/topology';
export * from './lib/topology/declare-topology';
// Publishing
export * from './lib/publishing/confirmed-publisher';
export * from './lib/publishing/amqp-client';
// Consuming
export * from './lib/consuming/amqp-server';
export * from './lib/consuming/settled-delivery';
export type { SettlementResult } from './lib/consuming/settlement';
export * from './lib/consuming/amqp-context';
export * from './lib/consuming/amqp-pattern.decorator';
export * from './lib/consuming/delivery-policy';
export * from './lib/consuming/decode-body';
export * from './lib/consuming/processed-messages';
// Streams (the event log)
export * from './lib/streams/stream-reader';
export * from './lib/streams/logged-event';
// Dead letters
export * from './lib/dead-letters/dead-letter-queue';
// Logging
export * from './lib/logging/rate-limited-log';
// Request/reply (RPC over a queue)
export * from './lib/rpc/rpc-errors';
export * from './lib/memory/bounded-map';
export * from './lib/rpc/amqp-rpc-server';
export * from './lib/rpc/amqp-rpc-client';
// Tracing
export * from './lib/tracing/amqp-spans';
// Timing (retry pauses, bounded waits)
export * from './lib/timing/backoff';
export * from './lib/timing/settled-within';
// Lifecycle
