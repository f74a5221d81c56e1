// npm run contracts [-- --check]: writes the generated interface documents of hello-mesh —
// docs/asyncapi.yaml (the AMQP side, from the contracts' zod schemas and the topology). With
// --check it writes nothing and exits 1 when a committed document differs from what the code gives.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { documents, ROOT } from './documents';

async function main(argv: string[]): Promise<number> {
  const check = argv.includes('--check');
  let stale = 0;
  for (const [file, text] of Object.entries(await documents())) {
    const target = path.join(ROOT, file);
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
    if (current === text) continue;
    if (check) {
      process.stderr.write(`${file} is stale: run npm run contracts and commit it\n`);
      stale++;
    } else {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, text);
      process.stdout.write(`wrote ${file}\n`);
    }
  }
  return stale === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
