import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// The benchmark's allocation profile (HELLO_ALLOC_PROF: alloc-profile.cjs preloaded into a real Node
// process) and the profile summary that reads it.

const ROOT = resolve(__dirname, '..', '..', '..');
const { profileArgs } = require(join(ROOT, 'tools/bench/lib.cjs'));
const { summarizeAllocations } = require(join(ROOT, 'tools/bench/profile-summary.cjs'));

/** Allocates about 64 MiB in 1 KiB arrays and keeps none of them: all garbage by the end. */
const GARBAGE_MAKER = `
function makeGarbage() {
  let kept = 0;
  for (let i = 0; i < 65536; i++) kept += new Array(128).fill(i).length;
  return kept;
}
makeGarbage();
`;

describe('the allocation profile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hello-alloc-prof-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The Node arguments the benchmark gives a measured side, with HELLO_ALLOC_PROF set to `value`. */
  function profileArgsWith(value: string | undefined): string[] {
    const previous = process.env['HELLO_ALLOC_PROF'];
    const set = (v: string | undefined) =>
      v === undefined ? delete process.env['HELLO_ALLOC_PROF'] : (process.env['HELLO_ALLOC_PROF'] = v);
    set(value);
    try {
      return profileArgs('side');
    } finally {
      set(previous);
    }
  }

  /** Runs `script` as the benchmark runs a measured side; returns the Node arguments it was given. */
  function runProfiled(script: string, allocProf: string | undefined): string[] {
    const file = join(dir, 'garbage.cjs');
    writeFileSync(file, script);
    const args = profileArgsWith(allocProf);
    const env = { ...process.env, HELLO_ALLOC_PROF: allocProf };
    const run = spawnSync(process.execPath, [...args, file], { env, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    return args;
  }

  it('should count the memory a process allocated and freed, by the function that allocated it', () => {
    const out = join(dir, 'profiles');
    runProfiled(GARBAGE_MAKER, out);
    // Written under the script's name.
    const files = readdirSync(join(out, 'garbage'));
    expect(files).toEqual([expect.stringMatching(/^Alloc\.\d+\.heapprofile$/)]);
    const profile = JSON.parse(readFileSync(join(out, 'garbage', files[0]), 'utf8'));
    const summary = summarizeAllocations(profile, { top: 5 });
    // Nothing of it is live at exit: only a profile that keeps freed objects sees the 64 MiB.
    expect(summary.total).toBeGreaterThan(48 * 2 ** 20);
    const [top, bytes] = summary.self[0];
    expect(top).toMatch(/^makeGarbage .*garbage\.cjs:2$/);
    expect(bytes / summary.total).toBeGreaterThan(0.8);
  });

  it('should leave a process alone without HELLO_ALLOC_PROF', () => {
    const args = runProfiled(GARBAGE_MAKER, undefined);
    expect(args).toEqual([]);
    expect(readdirSync(dir)).toEqual(['garbage.cjs']);
  });
});
