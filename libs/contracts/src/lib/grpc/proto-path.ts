import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The folder holding the project's .proto files: `HELLO_PROTO_DIR` when set, else `proto/`
 * beside the running bundle (where the build copies it), else the repository's `proto/`.
 */
export function protoDir(): string {
  const fromEnv = process.env['HELLO_PROTO_DIR'];
  if (fromEnv) return resolve(fromEnv);
  const marker = 'helloworld.proto';
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, marker))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const cwdCandidate = join(process.cwd(), 'proto');
  if (existsSync(join(cwdCandidate, marker))) return cwdCandidate;
  throw new Error(
    `cannot find the proto/ folder (looked above ${__dirname} and in ${process.cwd()}); set HELLO_PROTO_DIR`,
  );
}

/** Absolute path of a .proto file given relative to `proto/`. */
export function protoPath(file: string): string {
  return join(protoDir(), file);
}

/** The proto-loader options every server and client of the project uses. */
export const PROTO_LOADER_OPTIONS = {
  keepCase: true,
  longs: String,
  enums: Number,
  defaults: true,
  oneofs: true,
} as const;
