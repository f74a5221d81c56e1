import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
import { runOps, runScript } from './run-ops';

// The CLI's shape, run as processes: one command line for the three operator commands, each behind
// its own npm script too, usage errors exit 2, failures 1; the bundle carries no test code.

describe('npm run ops', () => {
  it('should list its commands, and refuse an unknown one with exit code 2', async () => {
    const help = runScript('ops', ['--help']);
    expect(await help.exited).toEqual({ code: 0, signal: null });
    for (const command of ['dlq', 'events', 'projections'])
      expect(help.stderr()).toMatch(new RegExp(`^  ${command} `, 'm'));

    const unknown = runOps(['nope']);
    expect(await unknown.exited).toEqual({ code: 2, signal: null });
    expect(unknown.stderr()).toContain('ops: unknown command "nope"');
  });

  it.each([
    ['dlq', 'usage: npm run dlq -- <command>'],
    ['events', 'usage: npm run events -- tail'],
    ['projections', 'usage: npm run projections -- list'],
  ])('should run %s through its own npm script', async (script, usage) => {
    const help = runScript(script, ['--help']);
    expect(await help.exited).toEqual({ code: 0, signal: null });
    expect(help.stderr()).toContain(usage);
  });

  it.each([
    [['dlq', 'list', '--limit', '0'], 'dlq: --limit must be a whole number of at least 1, got "0"'],
    [['dlq', 'list', '--nope'], "dlq: Unknown option '--nope'"],
    [['events', 'tail', '--from', 'yesterday'], 'events: --from must be first, next, an offset or an ISO time'],
    [
      ['projections', 'rebuild', '--all', '--projection', 'greetings'],
      'projections: --all and --projection exclude each other',
    ],
  ])('should exit 2 on wrong arguments: %j', async (args, message) => {
    const run = runOps(args);
    expect(await run.exited).toEqual({ code: 2, signal: null });
    expect(run.stderr()).toContain(message);
  });

  describe('when what it talks to is not there', () => {
    let closed: Server;
    let port: number;

    beforeAll(async () => {
      // A port that was just free: nothing listens on it.
      closed = createServer();
      await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
      port = (closed.address() as { port: number }).port;
      await new Promise<void>((done) => closed.close(() => done()));
    });

    it('should exit 1 naming the event-handler it could not reach', async () => {
      const run = runOps(['projections', 'list', '--url', `http://127.0.0.1:${port}`]);
      expect(await run.exited).toEqual({ code: 1, signal: null });
      expect(run.stderr()).toContain(
        `projections: cannot reach the event-handler at http://127.0.0.1:${port}/projections`,
      );
    });

    it('should exit 1 naming the broker it could not reach', async () => {
      const run = runOps(['dlq', 'list'], { RABBITMQ_URL: `amqp://guest:secret@127.0.0.1:${port}` });
      expect(await run.exited).toEqual({ code: 1, signal: null });
      expect(run.stderr()).toMatch(/^dlq: .*ECONNREFUSED/m);
      expect(run.stderr()).not.toContain('secret');
    });
  });

  it('should be one bundle that holds no test code', () => {
    // What went into the bundle, by its source map.
    const map = readFileSync(resolve(__dirname, '..', '..', '..', 'dist', 'tools', 'ops', 'main.js.map'), 'utf8');
    const { sources } = JSON.parse(map) as { sources: string[] };
    expect(sources.some((source) => source.endsWith('libs/messaging/src/lib/dead-letters/dead-letter-queue.ts'))).toBe(
      true,
    );
    expect(sources.filter((source) => /libs\/testing\/|\.spec\.ts$/.test(source))).toEqual([]);
  });
});
