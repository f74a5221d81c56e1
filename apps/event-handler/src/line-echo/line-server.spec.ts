import { connect, type Socket } from 'node:net';
import { LINE_RECEIVED_PATTERN, LineServer, type ReceivedLine } from './line-server';

/** A raw TCP client that keeps everything it receives. */
class Client {
  received = Buffer.alloc(0);
  readonly closed: Promise<void>;
  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => (this.received = Buffer.concat([this.received, chunk])));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static open(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => resolve(new Client(socket)));
      socket.once('error', reject);
    });
  }

  get text(): string {
    return this.received.toString('utf8');
  }

  async waitForText(expected: string, timeoutMs = 2_000): Promise<void> {
    await waitUntil(
      () => this.text === expected,
      timeoutMs,
      () => `got ${JSON.stringify(this.text)}, expected ${JSON.stringify(expected)}`,
    );
  }

  async send(data: string | Buffer): Promise<void> {
    await new Promise<void>((resolve, reject) => this.socket.write(data, (e) => (e ? reject(e) : resolve())));
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('LineServer', () => {
  let server: LineServer;
  let port: number;
  let dispatched: ReceivedLine[];
  let clients: Client[];

  async function start(maxLineBytes: number, handler?: (line: ReceivedLine) => Promise<unknown>) {
    server = new LineServer({ host: '127.0.0.1', port: 0, maxLineBytes, closeGraceMs: 1_000 });
    server.addHandler(
      LINE_RECEIVED_PATTERN,
      handler ??
        (async (line: ReceivedLine) => {
          dispatched.push(line);
        }),
      true,
    );
    await new Promise<void>((resolve, reject) => server.listen((error) => (error ? reject(error) : resolve())));
    port = server.address().port;
  }

  const open = async () => {
    const client = await Client.open(port);
    clients.push(client);
    return client;
  };

  beforeEach(() => {
    dispatched = [];
    clients = [];
  });

  afterEach(async () => {
    clients.forEach((c) => c.socket.destroy());
    await server.close();
  });

  it('should echo each line with its own terminator and dispatch it without', async () => {
    await start(64);
    const client = await open();
    await client.send('first\r\nsecond\n\r\n\nthird line\r\n');
    await client.waitForText('first\r\nsecond\n\r\n\nthird line\r\n');
    await waitUntil(
      () => dispatched.length === 5,
      2_000,
      () => `${dispatched.length} dispatched`,
    );
    expect(dispatched.map((d) => d.line)).toEqual(['first', 'second', '', '', 'third line']);
    const { address, port: clientPort } = client.socket.address() as { address: string; port: number };
    expect(dispatched[0].remoteAddress).toBe(`${address}:${clientPort}`);
    expect(dispatched[0].receivedAt).toBeInstanceOf(Date);
  });

  it('should put together a line that arrives in pieces and wait for its terminator', async () => {
    await start(64);
    const client = await open();
    await client.send('hel');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(client.text).toBe('');
    await client.send('lo wor');
    await client.send('ld\r');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(client.text).toBe('');
    await client.send('\n');
    await client.waitForText('hello world\r\n');
    await waitUntil(
      () => dispatched.length === 1,
      2_000,
      () => 'dispatch',
    );
    expect(dispatched[0].line).toBe('hello world');
  });

  it('should echo bytes unchanged, even when they are not valid UTF-8', async () => {
    await start(64);
    const client = await open();
    const line = Buffer.from([0x68, 0xff, 0xc3, 0xa9, 0x0a]);
    await client.send(line);
    await waitUntil(
      () => client.received.length === line.length,
      2_000,
      () => 'echo',
    );
    expect(client.received.equals(line)).toBe(true);
    await waitUntil(
      () => dispatched.length === 1,
      2_000,
      () => 'dispatch',
    );
    expect(dispatched[0].line).toBe('h\uFFFDé');
  });

  it('should answer many clients at once, each line by line', async () => {
    await start(64);
    const all = await Promise.all(Array.from({ length: 20 }, () => open()));
    await Promise.all(
      all.map(async (client, c) => {
        let expected = '';
        for (let i = 0; i < 10; i += 1) {
          const terminator = i % 2 === 0 ? '\n' : '\r\n';
          await client.send(`client ${c} line ${i}${terminator}`);
          expected += `client ${c} line ${i}${terminator}`;
          // Answered before the next line is sent: line by line, not at close.
          await client.waitForText(expected);
        }
      }),
    );
    await waitUntil(
      () => dispatched.length === 200,
      5_000,
      () => `${dispatched.length} dispatched`,
    );
    for (let c = 0; c < 20; c += 1) {
      expect(dispatched.filter((d) => d.line.startsWith(`client ${c} `)).map((d) => d.line)).toEqual(
        Array.from({ length: 10 }, (_, i) => `client ${c} line ${i}`),
      );
    }
    expect(server.stats()).toMatchObject({ connections: 20, lines: 200, openConnections: 20 });
  });

  it('should accept a line of exactly the maximum length, with either terminator', async () => {
    await start(16);
    const client = await open();
    const line = 'x'.repeat(16);
    await client.send(`${line}\r`);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await client.send(`\n${line}\n`);
    await client.waitForText(`${line}\r\n${line}\n`);
  });

  it('should close only the connection that sent a line too long, after an error line', async () => {
    await start(16384);
    const offender = await open();
    const bystander = await open();
    await offender.send('fine\n');
    await offender.waitForText('fine\n');
    await offender.send(`${'y'.repeat(16385)}\n`);
    await offender.closed;
    expect(offender.text).toBe('fine\nERROR line too long (max 16384 bytes)\r\n');
    expect(dispatched.map((d) => d.line)).toEqual(['fine']);

    await bystander.send('still here\r\n');
    await bystander.waitForText('still here\r\n');
    const third = await open();
    await third.send('new connections too\n');
    await third.waitForText('new connections too\n');
    expect(server.stats().tooLong).toBe(1);
  });

  it('should not wait for a terminator once a line is already too long', async () => {
    await start(16);
    const client = await open();
    await client.send('z'.repeat(18));
    await client.closed;
    expect(client.text).toBe('ERROR line too long (max 16 bytes)\r\n');
  });

  it('should keep echoing when the handler fails', async () => {
    await start(64, async () => {
      throw new Error('handler broke');
    });
    const client = await open();
    await client.send('one\ntwo\n');
    await client.waitForText('one\ntwo\n');
    await waitUntil(
      () => server.stats().dispatchFailures === 2,
      2_000,
      () => 'failures',
    );
  });

  it('should finish dispatches under way, then close connections and refuse new ones', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const finished: string[] = [];
    await start(64, async (line) => {
      await gate;
      finished.push(line.line);
    });
    const client = await open();
    await client.send('in flight\n');
    await client.waitForText('in flight\n');

    const closing = server.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(Client.open(port)).rejects.toThrow();
    expect(finished).toEqual([]);
    release();
    await closing;
    await client.closed;
    expect(finished).toEqual(['in flight']);
  });
});
