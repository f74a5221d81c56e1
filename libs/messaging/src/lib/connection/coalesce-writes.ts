import type { Writable } from 'node:stream';

const COALESCING = Symbol('hello.coalescing-writes');

type CoalescingWritable = Writable & { [COALESCING]?: true };

/**
 * Makes the writes to `socket` that one synchronous run of code makes leave in one system call.
 *
 * amqplib hands frames to its socket from a loop that writes one frame at a time, each a system call
 * of its own when the socket is idle: a consumer that acks and publishes for each message, or a
 * publisher that sends a burst, pays a write per frame. Here the first write of a run corks the socket
 * and a `process.nextTick` uncorks it once that run has returned, so the run's frames go out in one
 * `writev`. Nothing waits past the current turn of the event loop; frames keep their order.
 *
 * Installed once per socket; a socket that cannot be corked is left alone.
 */
export function coalesceWrites(socket: Writable | undefined): void {
  const target = socket as CoalescingWritable | undefined;
  if (!target || target[COALESCING] || typeof target.cork !== 'function' || typeof target.uncork !== 'function') {
    return;
  }
  target[COALESCING] = true;
  const write = target.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    target.uncork();
  };
  target.write = function coalescedWrite(this: Writable, ...args: Parameters<Writable['write']>): boolean {
    if (!corked && !target.destroyed) {
      corked = true;
      target.cork();
      process.nextTick(uncork);
    }
    return write.apply(this, args);
  } as Writable['write'];
}

/** The socket under an amqplib connection (`ChannelModel`), when it exposes one. */
export function socketOfAmqpConnection(connection: unknown): Writable | undefined {
  const stream = (connection as { connection?: { stream?: unknown } } | undefined)?.connection?.stream;
  return stream && typeof (stream as Writable).write === 'function' ? (stream as Writable) : undefined;
}
