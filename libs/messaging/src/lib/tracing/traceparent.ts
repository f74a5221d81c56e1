import { randomBytes } from 'node:crypto';

const TRACEPARENT =
  /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * A W3C `traceparent` for a new span: continues the trace of `parent` when it is a valid traceparent,
 * starts a new trace otherwise (https://www.w3.org/TR/trace-context/#traceparent-header).
 */
export function childTraceparent(parent?: unknown): string {
  const match =
    typeof parent === 'string'
      ? TRACEPARENT.exec(parent.trim().toLowerCase())
      : null;
  const traceId =
    match && !/^0+$/.test(match[2])
      ? match[2]
      : randomBytes(16).toString('hex');
  const flags = match ? match[4] : '01';
  return `00-${traceId}-${randomBytes(8).toString('hex')}-${flags}`;
}

/** The trace id of a traceparent, or undefined when it is not one. */
export function traceIdOf(traceparent: unknown): string | undefined {
  const match =
    typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent) : null;
  return match?.[2];
}
