// npm run projections -- list | rebuild [options]: the event-handler's projections, and rebuilding them
// from the event log while it runs, through its HTTP API (GET /projections, POST and GET
// /projections/rebuild).
import { parseArgs } from 'node:util';
import { type Command, printLine, UsageError } from './command';

const USAGE = `usage: npm run projections -- list [--url <event-handler>]
       npm run projections -- rebuild [--projection <name> ...|--all] [--from first|<ISO time>] [--url <event-handler>]

list     prints each projection (source, state, last offset, lag) as a JSON line
rebuild  rebuilds projections from the event log into fresh tables that replace the live ones once
         caught up; prints its progress on stderr and its report (JSON) on stdout; exit 0 when done,
         1 when it failed or another rebuild runs

options:
  --projection <name>   a projection to rebuild (repeatable; default: all, as --all)
  --from first|<time>   read the log from its first entry (default), or from an ISO 8601 time with a zone
                        (the projections are then complete from that time only: partial)
  --url <url>           the event-handler's HTTP address (default http://localhost:$EVENT_HANDLER_HTTP_PORT,
                        port 3003)`;

interface Report {
  readonly id: string;
  readonly state: 'running' | 'swapping' | 'done' | 'failed';
  readonly entriesRead: number;
  readonly eventsApplied: number;
  readonly lastOffset?: number;
  readonly error?: string;
}

const POLL_MS = 500;

async function request(url: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    const reason = (error as Error).cause ?? (error as Error).message;
    throw new Error(`cannot reach the event-handler at ${url}: ${String(reason)}`, { cause: error });
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: shown as it is.
  }
  return { status: response.status, body };
}

function messageOf(body: unknown): string {
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : JSON.stringify(body);
}

async function list(base: string): Promise<number> {
  const { status, body } = await request(`${base}/projections`);
  if (status !== 200) throw new Error(`GET /projections answered ${status}: ${messageOf(body)}`);
  for (const projection of (body as { projections: unknown[] }).projections) {
    await printLine(JSON.stringify(projection));
  }
  return 0;
}

async function rebuild(base: string, projections: string[], from: string): Promise<number> {
  const started = await request(`${base}/projections/rebuild`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...(projections.length > 0 ? { projections } : {}), from }),
  });
  if (started.status === 400) throw new UsageError(messageOf(started.body));
  if (started.status !== 202) {
    process.stderr.write(`projections: the rebuild was not started (${started.status}): ${messageOf(started.body)}\n`);
    return 1;
  }
  const { id } = started.body as Report;
  process.stderr.write(`rebuild ${id} started\n`);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const { status, body } = await request(`${base}/projections/rebuild`);
    const report = body as Report;
    if (status !== 200 || report.id !== id) {
      // The event-handler restarted (or another one answered): the rebuild is gone with it.
      process.stderr.write(`projections: rebuild ${id} is no longer known to ${base} (${status})\n`);
      return 1;
    }
    if (report.state === 'done' || report.state === 'failed') {
      await printLine(JSON.stringify(report, null, 2));
      if (report.state === 'failed') process.stderr.write(`projections: rebuild failed: ${report.error ?? ''}\n`);
      return report.state === 'done' ? 0 : 1;
    }
    process.stderr.write(
      `${report.state}: ${report.entriesRead} log entries read, ${report.eventsApplied} events applied` +
        (report.lastOffset === undefined ? '' : `, at offset ${report.lastOffset}`) +
        '\n',
    );
  }
}

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      projection: { type: 'string', multiple: true },
      all: { type: 'boolean', default: false },
      from: { type: 'string', default: 'first' },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0];
  if (values.help || positionals.length !== 1 || (command !== 'list' && command !== 'rebuild')) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const base = (values.url ?? `http://localhost:${process.env['EVENT_HANDLER_HTTP_PORT'] || '3003'}`).replace(
    /\/$/,
    '',
  );
  if (command === 'list') return list(base);
  const projections = values.projection ?? [];
  if (values.all && projections.length > 0) throw new UsageError('--all and --projection exclude each other');
  return rebuild(base, projections, values.from as string);
}

export const projections: Command = {
  name: 'projections',
  summary: "list the event-handler's projections, or rebuild them from the event log while it runs",
  run,
};
