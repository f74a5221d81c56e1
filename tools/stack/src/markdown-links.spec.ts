import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

// Every relative link in every Markdown file of the repository resolves: the file or folder exists,
// and a #fragment names a heading of the target (GitHub's anchor for it) or an explicit anchor.

const ROOT = resolve(__dirname, '..', '..', '..');

/** The Markdown files git knows of (tracked, or new and not ignored). */
function markdownFiles(): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', '*.md'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((file) => file && existsSync(join(ROOT, file)));
}

/** The text outside fenced code blocks. */
function withoutFences(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** The text outside fenced code blocks and inline code, where links are links. */
function prose(text: string): string {
  return withoutFences(text).replace(/``[^`\n]+``|`[^`\n]+`/g, '');
}

/** GitHub's anchor for a heading: lower case, formatting and punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a Markdown text offers: its headings' (numbered when repeated) and explicit ids. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of withoutFences(text).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = slug(match[1]);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const match of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]);
  return anchors;
}

/** Every broken relative link of `file` (relative to the root), read from `text`. */
function brokenLinks(file: string, text: string, read: (path: string) => string | undefined): string[] {
  const broken: string[] = [];
  const links = [
    ...[...prose(text).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]),
    ...[...prose(text).matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1]),
  ];
  for (const link of links) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:, …
    const [path, fragment] = link.split('#', 2) as [string, string | undefined];
    const target = path ? join(dirname(file), decodeURIComponent(path)) : file;
    if (path && !existsSync(join(ROOT, target))) {
      broken.push(`${file}: ${link} (no such file)`);
      continue;
    }
    if (fragment === undefined || !target.endsWith('.md')) continue;
    const targetText = target === file ? text : read(target);
    if (targetText === undefined || !anchorsOf(targetText).has(decodeURIComponent(fragment).toLowerCase()))
      broken.push(`${file}: ${link} (no heading for #${fragment})`);
  }
  return broken;
}

const readRepoFile = (path: string) => {
  try {
    return readFileSync(join(ROOT, path), 'utf8');
  } catch {
    return undefined;
  }
};

describe('links in the Markdown files', () => {
  const files = markdownFiles();

  it('should find the README and the docs', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/architecture.md', 'docs/operations.md']));
  });

  it('should resolve every relative link and #anchor', () => {
    const broken = files.flatMap((file) => brokenLinks(file, readFileSync(join(ROOT, file), 'utf8'), readRepoFile));
    expect(broken).toEqual([]);
  });

  it('should make anchors as GitHub does', () => {
    expect(slug('Trying each part')).toBe('trying-each-part');
    expect(slug('gRPC (greeter)')).toBe('grpc-greeter');
    expect(slug('RPC over the queue (producer → `hello.rpc` → greeter)')).toBe(
      'rpc-over-the-queue-producer--hellorpc--greeter',
    );
    expect(slug('What tracing costs the greeter')).toBe('what-tracing-costs-the-greeter');
    expect([...anchorsOf('# A\n## Notes\n```\n# not a heading\n```\n### Notes\n')]).toEqual(['a', 'notes', 'notes-1']);
  });

  it('should report a link to a missing file or heading (the check is real)', () => {
    const text =
      '# Here\n[ok](#here) [gone](#nowhere) [file](docs/missing.md) [doc](docs/architecture.md#no-such-part) `[code](x.md)`\n';
    expect(brokenLinks('README.md', text, readRepoFile)).toEqual([
      'README.md: #nowhere (no heading for #nowhere)',
      'README.md: docs/missing.md (no such file)',
      'README.md: docs/architecture.md#no-such-part (no heading for #no-such-part)',
    ]);
  });
});
