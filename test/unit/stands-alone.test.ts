import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The repository stands alone: a clone with nothing beside it must start, demo and pass its tests.
 * Any tracked file that points at a path outside the checkout (a sibling folder beside the clone,
 * an absolute path on some developer's machine) fails here, naming the file and the line.
 */
const repoRoot = path.resolve(__dirname, '../..');
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: repoRoot, encoding: 'utf8' })
  .split('\0')
  .filter(
    (f) =>
      f &&
      !f.startsWith('bench/results/') &&
      f !== 'package-lock.json' &&
      !/(^|\/)package-lock\.json$/.test(f),
  );

const TEXT =
  /\.(ts|js|mjs|cjs|svelte|json|md|yml|yaml|sh|sql|toml|txt|html|css)$|(^|\/)(Dockerfile|run|\.env\.example|\.gitignore|\.dockerignore)$/;
// A relative path with at least one `..` (quoted, in a markdown link, or after whitespace).
const RELATIVE = /(?:^|["'`(\s=])((?:\.\.\/)+[\w.@$[\]-][\w./@$[\]-]*)/g;
const ABSOLUTE_HOME = /(?:^|["'`(\s=])(\/(?:work|home|Users|root)\/[\w./-]+)/g;

function outsideReferences(file: string, text: string): string[] {
  const found: string[] = [];
  const dir = path.dirname(path.join(repoRoot, file));
  text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(RELATIVE)) {
      // Path-traversal attack strings in the hostile-input tests are meant to point outside.
      if (/etc\/passwd/.test(m[1] as string)) continue;
      const target = path.resolve(dir, m[1] as string);
      if (target !== repoRoot && !target.startsWith(`${repoRoot}${path.sep}`))
        found.push(`${file}:${i + 1}: ${m[1]}`);
    }
    for (const m of line.matchAll(ABSOLUTE_HOME)) found.push(`${file}:${i + 1}: ${m[1]}`);
  });
  return found;
}

test('no tracked file refers to a path outside the repository', () => {
  const offenders = tracked
    .filter((f) => TEXT.test(f) && fs.existsSync(path.join(repoRoot, f)))
    .flatMap((f) => outsideReferences(f, fs.readFileSync(path.join(repoRoot, f), 'utf8')));
  expect(offenders).toEqual([]);
});

test('the check itself catches a sibling checkout and a machine path', () => {
  // Written in pieces, so this file holds no such path itself and is checked like every other.
  const up = (levels: number) => '../'.repeat(levels);
  const sibling = ['shared', 'blip', 'fixtures'].join('/');
  expect(
    outsideReferences('tools/blip-sim/x.ts', `path.resolve(__dirname, '${up(3)}${sibling}')`),
  ).toHaveLength(1);
  expect(outsideReferences('README.md', `see [design](${up(1)}shared/DESIGN.md)`)).toHaveLength(1);
  expect(outsideReferences('infra/start.ts', `const dir = '/${['work', sibling].join('/')}'`)).toHaveLength(
    1,
  );
  expect(outsideReferences('tools/blip-sim/x.ts', "import { a } from '../../lib/config'")).toEqual([]);
});
