/** One operator command: `npm run ops -- <name> …`, also `npm run <name> -- …`. */
export interface Command {
  readonly name: string;
  /** One line for the CLI's own usage. */
  readonly summary: string;
  /** Runs with the arguments after the command's name; resolves with the exit code. */
  run(argv: string[]): Promise<number>;
}

/** Wrong arguments: the message is printed and the CLI exits 2 (as for a parse error). */
export class UsageError extends Error {}

/** 2 for wrong arguments (ours, or node:util parseArgs'), 1 for any other failure. */
export function exitCodeOf(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) ? 2 : 1;
}

/** Writes `text` and a newline to stdout, waiting while a slow reader (a pager, a pipe) catches up. */
export async function printLine(text: string): Promise<void> {
  if (!process.stdout.write(`${text}\n`)) {
    await new Promise((resolve) => process.stdout.once('drain', resolve));
  }
}
