import { childTraceparent, traceIdOf } from './traceparent';

describe('childTraceparent', () => {
  it('should continue the trace of a valid parent with a new span', () => {
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const child = childTraceparent(parent);
    expect(traceIdOf(child)).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(child).not.toBe(parent);
    expect(child).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('should start a new trace without a valid parent', () => {
    expect(childTraceparent()).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(traceIdOf(childTraceparent('garbage'))).toHaveLength(32);
    expect(
      traceIdOf(childTraceparent(`00-${'0'.repeat(32)}-b7ad6b7169203331-01`)),
    ).not.toBe('0'.repeat(32));
  });
});

describe('childTraceparent ids', () => {
  it('should not repeat trace or span ids across many calls', () => {
    const traceIds = new Set<string>();
    const spanIds = new Set<string>();
    // More than one refill of the random pool.
    for (let i = 0; i < 1000; i++) {
      const [, traceId, spanId] = childTraceparent().split('-');
      traceIds.add(traceId);
      spanIds.add(spanId);
    }
    expect(traceIds.size).toBe(1000);
    expect(spanIds.size).toBe(1000);
  });
});
