import { Writable } from 'node:stream';
import { coalesceWrites } from './coalesce-writes';

/** A Writable that records each call its stream machinery makes to the underlying resource. */
function recordingWritable(): { stream: Writable; calls: string[][] } {
  const calls: string[][] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      calls.push([chunk.toString()]);
      done();
    },
    writev(chunks, done) {
      calls.push(chunks.map(({ chunk }) => (chunk as Buffer).toString()));
      done();
    },
  });
  return { stream, calls };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('coalesceWrites', () => {
  it('should send the writes of one synchronous run together, in order', async () => {
    const { stream, calls } = recordingWritable();
    coalesceWrites(stream);
    stream.write('a');
    stream.write('b');
    stream.write('c');
    expect(calls).toEqual([]);
    await nextTurn();
    expect(calls).toEqual([['a', 'b', 'c']]);
  });

  it('should not hold writes of separate runs together', async () => {
    const { stream, calls } = recordingWritable();
    coalesceWrites(stream);
    stream.write('a');
    await nextTurn();
    stream.write('b');
    await nextTurn();
    expect(calls).toEqual([['a'], ['b']]);
  });

  it('should install itself once however often it is called', async () => {
    const { stream, calls } = recordingWritable();
    coalesceWrites(stream);
    coalesceWrites(stream);
    stream.write('a');
    stream.write('b');
    await nextTurn();
    expect(calls).toEqual([['a', 'b']]);
    expect(stream.writableCorked).toBe(0);
  });

  it('should leave a missing socket alone', () => {
    expect(() => coalesceWrites(undefined)).not.toThrow();
  });
});
