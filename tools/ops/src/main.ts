// The operator commands, one built CLI (nx build ops → dist/tools/ops/main.js):
//   npm run ops -- <command> [options]      or      npm run <command> -- [options]
// See docs/operations.md.
import type { Command } from './command';
import { exitCodeOf } from './command';
import { dlq } from './dlq';
import { events } from './events';
import { projections } from './projections';

const COMMANDS: readonly Command[] = [dlq, events, projections];

const USAGE = `usage: npm run ops -- <command> [options]   (or npm run <command> -- [options])

commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(12)} ${command.summary}`).join('\n')}

\`npm run ops -- <command> --help\` shows a command's options.`;

async function main([name, ...argv]: string[]): Promise<number> {
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    process.stderr.write(`${name && !name.startsWith('-') ? `ops: unknown command "${name}"\n` : ''}${USAGE}\n`);
    return name === '--help' || name === '-h' ? 0 : 2;
  }
  try {
    return await command.run(argv);
  } catch (error) {
    process.stderr.write(`${command.name}: ${(error as Error).message}\n`);
    return exitCodeOf(error);
  }
}

void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
