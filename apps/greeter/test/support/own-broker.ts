import type { OwnBroker } from '@hello/testing';

/**
 * The final clean-up of a spec's own broker (startOwnBroker): kills the node, then deletes its data. A
 * clean stop is the outage the tests use: right after a kill, RabbitMQ 3.10 may not bring a freshly
 * declared quorum queue back (its leader stays unknown). Killing is fine here, where the data are
 * thrown away.
 */
export async function disposeBroker(broker: OwnBroker): Promise<void> {
  try {
    process.kill(-broker.pid, 'SIGKILL');
  } catch {
    // Already stopped (a test failed during an outage).
  }
  await broker.stop();
}
