import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

// The apps' production bundles (dist/, built before the stack's specs run): NestJS is compiled in
// (required at run time, its ES modules would each go through Node's ES module loader at start-up),
// while what OpenTelemetry's instrumentations patch as it is required, and what must be one per
// process, stay run-time requires (tools/build/webpack-app.cjs).

const ROOT = resolve(__dirname, '..', '..', '..');
const APPS = ['greeter', 'producer', 'consumer', 'event-handler'];
const bundle = (app: string) => readFileSync(join(ROOT, 'dist', 'apps', app, 'main.js'), 'utf8');
const installed = (name: string) => existsSync(join(ROOT, 'node_modules', name, 'package.json'));

/** The packages a bundle requires at run time (`require("name…")` as webpack writes its externals). */
function runTimeRequires(code: string): Set<string> {
  const names = [...code.matchAll(/\brequire\("((?:@[^/"]+\/)?[^/"]+)[^"]*"\)/g)].map((m) => m[1]);
  return new Set(names.filter((name) => !name.startsWith('node:')));
}

describe.each(APPS)('the %s bundle', (app) => {
  const requires = runTimeRequires(bundle(app));

  it('should compile NestJS, nestjs-pino and rxjs in: no installed one is required at run time', () => {
    const nest = [...requires].filter((name) => /^(@nestjs\/|nestjs-pino$|rxjs$)/.test(name));
    // Optional peers Nest tries and does without (@nestjs/websockets) are not installed.
    expect(nest.filter(installed)).toEqual([]);
  });

  it('should be ASCII only, so that V8 keeps its source one byte per character (non-ASCII written as \\u escapes)', () => {
    const code = bundle(app);
    expect(code.match(/[\u0080-\uffff]/g) ?? []).toEqual([]);
    // Escaped in place: the en dash of a config error, for one.
    expect(code).toContain('must be a port number (1\\u201365535)');
  });

  it('should leave to run time what tracing patches and what must be one per process', () => {
    const patched = app === 'greeter' ? ['@grpc/grpc-js', 'amqplib'] : ['amqplib'];
    for (const name of [...patched, '@opentelemetry/api', 'reflect-metadata', 'pino']) {
      expect({ name, runTime: requires.has(name) }).toEqual({ name, runTime: true });
    }
  });
});
