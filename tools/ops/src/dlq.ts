// npm run dlq -- list|show|redrive [options]: looks at and re-drives the dead letters of a queue on the
// broker RABBITMQ_URL names (RABBITMQ_CA_FILE, RABBITMQ_CERT_FILE, RABBITMQ_KEY_FILE for amqps:).
import { parseArgs } from 'node:util';
import { Topology } from '@hello/contracts';
import { DeadLetterQueue, readAmqpTls, readAmqpUrl, redactAmqpUrl } from '@hello/messaging';
import { type Command, printLine, UsageError } from './command';

const USAGE = `usage: npm run dlq -- <command> [options]

commands:
  list                      messages of the dead-letter queue by reason, and the oldest one's age
  show                      headers and body of each message (one JSON object a line)
  redrive                   send messages back to their source queue, each confirmed before it is
                            removed from the dead-letter queue

options:
  --queue Q                 the dead-letter queue (default ${Topology.helloDeadLetterQueue})
  --reason R                only messages with this x-hello-death-reason (show, redrive)
  --limit N                 at most N messages (show, redrive)
  --dry-run                 say what redrive would move, move nothing
  --to Q                    redrive to Q instead of the queue each message came from

environment: RABBITMQ_URL (default amqp://guest:guest@localhost:5672), RABBITMQ_CA_FILE,
RABBITMQ_CERT_FILE, RABBITMQ_KEY_FILE`;

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      queue: { type: 'string', default: Topology.helloDeadLetterQueue },
      reason: { type: 'string' },
      limit: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      to: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command] = positionals;
  if (values.help || !command || !['list', 'show', 'redrive'].includes(command) || positionals.length > 1) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new UsageError(`--limit must be a whole number of at least 1, got "${values.limit}"`);
  }
  const url = readAmqpUrl(process.env);
  const queue = await DeadLetterQueue.open(url, values.queue, readAmqpTls(process.env));
  try {
    if (command === 'list') {
      const summary = await queue.list();
      const age = summary.oldestAgeSeconds === undefined ? '' : `, oldest ${summary.oldestAgeSeconds} s old`;
      await printLine(`${summary.queue} at ${redactAmqpUrl(url)}: ${summary.messages} messages${age}`);
      for (const [reason, count] of Object.entries(summary.byReason).sort((a, b) => b[1] - a[1])) {
        await printLine(`  ${String(count).padStart(6)}  ${reason}`);
      }
    } else if (command === 'show') {
      for (const letter of await queue.show({ reason: values.reason, limit })) await printLine(JSON.stringify(letter));
    } else {
      const dryRun = values['dry-run'];
      const result = await queue.redrive({
        reason: values.reason,
        limit,
        dryRun,
        to: values.to,
        onMoved: ({ messageId, to }) => process.stdout.write(`moved ${messageId ?? '(no id)'} to ${to}\n`),
      });
      if (dryRun) {
        for (const { messageId, reason, to } of result.matched) {
          await printLine(`would move ${messageId ?? '(no id)'} (${reason}) to ${to}`);
        }
      }
      await printLine(
        dryRun ? `dry run: ${result.matched.length} messages would be moved` : `moved ${result.moved} messages`,
      );
    }
    return 0;
  } finally {
    await queue.close();
  }
}

export const dlq: Command = {
  name: 'dlq',
  summary: 'list, show and re-drive the dead letters of a queue (RABBITMQ_URL)',
  run,
};
