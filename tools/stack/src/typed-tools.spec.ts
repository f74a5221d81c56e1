import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

// The tools are plain CommonJS that the type-check reads as type-checked JavaScript (`checkJs`, JSDoc
// types): every tools/**/*.cjs in git must be among the files tsconfig.typecheck.json checks, and none
// may switch the checking off.

const ROOT = resolve(__dirname, '..', '..', '..');
const TSCONFIG = join(ROOT, 'tsconfig.typecheck.json');

/** The tools' CommonJS files in git, relative to the root. */
function toolScripts(): string[] {
  return execFileSync('git', ['ls-files', '--', ':(glob)tools/**/*.cjs'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

/** `tsconfig.typecheck.json` as read from disk, changed by `edit` (a spec's broken variant). */
function typeCheckConfig(edit: (config: Record<string, unknown>) => void = () => undefined): ts.ParsedCommandLine {
  const { config, error } = ts.readConfigFile(TSCONFIG, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  edit(config);
  return ts.parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, TSCONFIG);
}

/** Why each of `scripts` is not type-checked by `parsed`; empty when every one is. */
function uncheckedScripts(parsed: ts.ParsedCommandLine, scripts: string[], read: (file: string) => string): string[] {
  const checked = new Set(parsed.fileNames.map((file) => relative(ROOT, file)));
  const problems: string[] = [];
  for (const script of scripts) {
    if (!checked.has(script)) problems.push(`${script} is not in tsconfig.typecheck.json's include`);
    else if (!parsed.options.checkJs) problems.push(`${script} is included without checkJs`);
    else if (/^\s*\/\/\s*@ts-nocheck/m.test(read(script))) problems.push(`${script} turns checking off (@ts-nocheck)`);
  }
  return problems;
}

const readScript = (file: string) => readFileSync(join(ROOT, file), 'utf8');

describe('typed tools', () => {
  it('should type-check every tools/**/*.cjs with checkJs', () => {
    const scripts = toolScripts();
    expect(scripts.length).toBeGreaterThan(30);
    expect(uncheckedScripts(typeCheckConfig(), scripts, readScript)).toEqual([]);
  });

  it('should name a script left out of the include, checked without checkJs, or marked @ts-nocheck (the check is real)', () => {
    const scripts = ['tools/infra/host.cjs', 'tools/stack/apps.cjs'];
    const withoutHost = typeCheckConfig((config) => {
      config['exclude'] = [...((config['exclude'] as string[] | undefined) ?? []), 'tools/infra/host.cjs'];
    });
    expect(uncheckedScripts(withoutHost, scripts, readScript)).toEqual([
      "tools/infra/host.cjs is not in tsconfig.typecheck.json's include",
    ]);

    const withoutCheckJs = typeCheckConfig((config) => {
      (config['compilerOptions'] as Record<string, unknown>)['checkJs'] = false;
    });
    expect(uncheckedScripts(withoutCheckJs, scripts, readScript)).toHaveLength(2);

    const noCheck = (file: string) =>
      file === 'tools/stack/apps.cjs' ? `// @ts-nocheck\n${readScript(file)}` : readScript(file);
    expect(uncheckedScripts(typeCheckConfig(), scripts, noCheck)).toEqual([
      'tools/stack/apps.cjs turns checking off (@ts-nocheck)',
    ]);
  });
});
