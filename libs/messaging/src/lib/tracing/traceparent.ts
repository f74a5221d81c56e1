import { randomFillSync } from 'node:crypto';

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
    match && !ALL_ZEROS.test(match[2]) ? match[2] : randomNonZeroHex(16);
  const flags = match ? match[4] : '01';
  return `00-${traceId}-${randomNonZeroHex(8)}-${flags}`;
}

/** The trace id of a traceparent, or undefined when it is not one. */
export function traceIdOf(traceparent: unknown): string | undefined {
  const match =
    typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent) : null;
  return match?.[2];
}

const ALL_ZEROS = /^0+$/;

// Ids are drawn from a pool of random bytes refilled 4 KiB at a time: a `randomBytes` call per id is
// a system call per message, which cost more than everything else a publish does.
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** `bytes` random bytes as lowercase hex, never all zeros (an all-zero id is invalid in W3C). */
function randomNonZeroHex(bytes: number): string {
  for (;;) {
    if (poolOffset + bytes > POOL_SIZE) {
      randomFillSync(pool);
      poolOffset = 0;
    }
    const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
    poolOffset += bytes;
    if (!ALL_ZEROS.test(hex)) return hex;
  }
}
