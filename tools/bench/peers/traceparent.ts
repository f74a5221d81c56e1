import { randomUUID } from 'node:crypto';

const TRACEPARENT = /^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/;

/**
 * A W3C traceparent, as the project's publishers put on every message: a child span of `parent` when
 * it is a traceparent, else a new trace. (The same as the raw baselines' helper in ../lib.cjs: the
 * peers depend on nothing of the project's.)
 */
export function traceparent(parent?: unknown): string {
  const match = TRACEPARENT.exec(typeof parent === 'string' ? parent : '');
  const traceId = match ? match[1] : randomUUID().replace(/-/g, '');
  return `00-${traceId}-${randomUUID().replace(/-/g, '').slice(0, 16)}-${match ? match[2] : '01'}`;
}
