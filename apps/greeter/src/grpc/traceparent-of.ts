import type { Metadata } from '@grpc/grpc-js';
import { Headers } from '@hello/contracts';

/**
 * The W3C `traceparent` a gRPC caller sent in its metadata, if any (gRPC carries trace context as
 * plain metadata, as HTTP does as a header). Its validity is checked where it is continued.
 */
export function traceparentOf(metadata: Metadata | undefined): string | undefined {
  const value = metadata?.get(Headers.traceparent)[0];
  return typeof value === 'string' ? value : undefined;
}
