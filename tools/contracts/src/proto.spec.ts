import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './documents';

// buf (the npm package @bufbuild/buf ships the binary) lints proto/ and compares it with the
// committed baseline in contracts/baseline/proto, with the rules of buf.yaml.

const BUF = require.resolve('@bufbuild/buf/bin/buf');
const BASELINE = path.join(ROOT, 'contracts/baseline/proto');

function buf(cwd: string, ...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [BUF, ...args], { cwd, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A copy of the workspace's buf.yaml and proto/, with `edit` applied to proto/helloworld.proto. */
function workspaceWith(edit: (proto: string) => string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hello-buf-'));
  fs.copyFileSync(path.join(ROOT, 'buf.yaml'), path.join(dir, 'buf.yaml'));
  fs.cpSync(path.join(ROOT, 'proto'), path.join(dir, 'proto'), { recursive: true });
  const file = path.join(dir, 'proto/helloworld.proto');
  fs.writeFileSync(file, edit(fs.readFileSync(file, 'utf8')));
  return dir;
}

describe('proto/ (buf)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  it('should pass buf lint', () => {
    expect(buf(ROOT, 'lint')).toEqual({ status: 0, output: '' });
  });

  it('should have no breaking change against the baseline (contracts/baseline/proto)', () => {
    expect(buf(ROOT, 'breaking', '--against', BASELINE)).toEqual({ status: 0, output: '' });
  });

  it('should call a removed or renamed field breaking', () => {
    const dir = workspaceWith((proto) => proto.replace('string name = 1;', 'string nombre = 1;'));
    dirs.push(dir);
    const { status, output } = buf(dir, 'breaking', '--against', BASELINE);
    expect(status).not.toBe(0);
    expect(output).toContain('changed name from "name" to "nombre"');
  });

  it('should refuse a field name buf lint refuses', () => {
    const dir = workspaceWith((proto) => proto.replace('string name = 1;', 'string name = 1;\n  string TheTime = 2;'));
    dirs.push(dir);
    const { status, output } = buf(dir, 'lint');
    expect(status).not.toBe(0);
    expect(output).toContain('TheTime');
  });
});
