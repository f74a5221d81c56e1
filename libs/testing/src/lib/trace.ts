/** The trace id of a W3C `traceparent` header value, or undefined when it is not one. */
export function traceIdOf(traceparent: unknown): string | undefined {
  const text = Buffer.isBuffer(traceparent) ? traceparent.toString('utf8') : traceparent;
  const match = typeof text === 'string' ? /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(text) : null;
  return match?.[1];
}
