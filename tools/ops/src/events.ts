// npm run events -- tail [options]: prints the integration events of the event log (the stream
// hello.events.log) as JSON lines, on the broker RABBITMQ_URL names (RABBITMQ_CA_FILE,
// RABBITMQ_CERT_FILE, RABBITMQ_KEY_FILE for amqps:).
import { parseArgs } from 'node:util';
import { Topology } from '@hello/contracts';
import {
  publishedAt,
  readAmqpTls,
  readAmqpUrl,
  readLoggedEvent,
  StreamReader,
  type StreamDelivery,
  type StreamOffset,
} from '@hello/messaging';
import { type Command, printLine, UsageError } from './command';

const USAGE = `usage: npm run events -- tail [options]

Prints the events of the log ${Topology.eventLog}, one JSON object a line:
{"offset", "publishedAt", "type", "routingKey", "messageId", "appId", "event"} (or "invalid" and
"detail" instead of "event" for a message that is not a valid event), then exits at the log's end.

options:
  --from first|next|<ISO time>|<offset>   where to start (default first)
  --type <routing key>                     only events with this routing key (e.g. greeting.greeted)
  --follow                                 go on printing new events until Ctrl-C

environment: RABBITMQ_URL (default amqp://guest:guest@localhost:5672), RABBITMQ_CA_FILE,
RABBITMQ_CERT_FILE, RABBITMQ_KEY_FILE`;

/** `--from`: a keyword, a whole number (an offset) or an ISO 8601 time. */
function parseFrom(text: string): StreamOffset {
  if (text === 'first' || text === 'next' || text === 'last') return text;
  if (/^\d+$/.test(text)) return Number(text);
  const time = /^\d{4}-\d{2}-\d{2}/.test(text) ? new Date(text) : undefined;
  if (!time || Number.isNaN(time.getTime())) {
    throw new UsageError(
      `--from must be first, next, an offset or an ISO time (e.g. 2026-01-31T12:00:00Z), got "${text}"`,
    );
  }
  return time;
}

function lineOf(delivery: StreamDelivery): string {
  const { message, offset } = delivery;
  const read = readLoggedEvent(delivery);
  return JSON.stringify({
    offset,
    publishedAt: publishedAt(message)?.toISOString(),
    type: message.properties.type,
    routingKey: message.fields.routingKey,
    messageId: message.properties.messageId,
    appId: message.properties.appId,
    ...(read.ok ? { event: read.event } : { invalid: read.reason, detail: read.detail }),
  });
}

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      from: { type: 'string', default: 'first' },
      type: { type: 'string' },
      follow: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length !== 1 || positionals[0] !== 'tail') {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const from = parseFrom(values.from);
  const reader = new StreamReader({
    url: readAmqpUrl(process.env),
    tls: readAmqpTls(process.env),
    connectionName: 'events-cli',
    stream: Topology.eventLog,
    from,
    until: values.follow ? 'follow' : 'tail',
  });
  const stop = () => reader.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await reader.run(async (delivery) => {
    if (values.type !== undefined && delivery.message.fields.routingKey !== values.type) return;
    // Waits for a slow reader of the output instead of buffering the whole log.
    await printLine(lineOf(delivery));
  });
  return 0;
}

export const events: Command = {
  name: 'events',
  summary: `print the event log (${Topology.eventLog}) as JSON lines, or follow it (RABBITMQ_URL)`,
  run,
};
