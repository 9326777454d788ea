import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkProjectPaths, isInside } from '../src/project-paths.js';
import { tempDir, writeFile } from './support/tmp.js';

/** A project folder with a few files, and a folder beside it that is outside the project. */
function layout(): { root: string; outside: string } {
  const base = tempDir();
  const root = path.join(base, 'project');
  const outside = path.join(base, 'elsewhere');
  writeFile(root, 'src/a.ts', 'export const a = 1;\n');
  writeFile(root, 'README.md', '# hi\n');
  writeFile(outside, 'secret.txt', 'secret\n');
  return { root, outside };
}

describe('checkProjectPaths', () => {
  it('existing files, relative or absolute inside the project, are neither missing nor outside', () => {
    const { root } = layout();
    expect(checkProjectPaths(root, ['src/a.ts', './README.md', path.join(root, 'src/a.ts'), 'src', 'src/../README.md'])).toEqual({
      missing: [],
      outside: [],
    });
  });

  it('missing files are missing', () => {
    const { root } = layout();
    expect(checkProjectPaths(root, ['src/a.ts', 'src/b.ts', 'nope/c.ts'])).toEqual({ missing: ['src/b.ts', 'nope/c.ts'], outside: [] });
  });

  it('.. paths leading out are outside, even when the file exists there', () => {
    const { root } = layout();
    expect(checkProjectPaths(root, ['../elsewhere/secret.txt', 'src/../../elsewhere/secret.txt', '../nothing.txt'])).toEqual({
      missing: [],
      outside: ['../elsewhere/secret.txt', 'src/../../elsewhere/secret.txt', '../nothing.txt'],
    });
  });

  it('absolute paths outside are outside', () => {
    const { root, outside } = layout();
    const secret = path.join(outside, 'secret.txt');
    expect(checkProjectPaths(root, [secret, '/etc/passwd'])).toEqual({ missing: [], outside: [secret, '/etc/passwd'] });
  });

  it('a sibling folder whose name starts with the project name is outside', () => {
    const { root } = layout();
    writeFile(`${root}-copy`, 'x.ts', 'x');
    expect(checkProjectPaths(root, [`../${path.basename(root)}-copy/x.ts`, `${root}-copy/x.ts`])).toEqual({
      missing: [],
      outside: [`../${path.basename(root)}-copy/x.ts`, `${root}-copy/x.ts`],
    });
  });

  it('a symlink to a file outside the project is outside', () => {
    const { root, outside } = layout();
    symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'src/link.txt'));
    expect(checkProjectPaths(root, ['src/link.txt'])).toEqual({ missing: [], outside: ['src/link.txt'] });
  });

  it('a file reached through a symlinked folder outside the project is outside', () => {
    const { root, outside } = layout();
    symlinkSync(outside, path.join(root, 'vendor'), 'dir');
    expect(checkProjectPaths(root, ['vendor/secret.txt'])).toEqual({ missing: [], outside: ['vendor/secret.txt'] });
  });

  it('a file not yet written under a symlinked folder outside the project is outside', () => {
    const { root, outside } = layout();
    symlinkSync(outside, path.join(root, 'vendor'), 'dir');
    expect(checkProjectPaths(root, ['vendor/new.txt', 'vendor/deeper/new.txt'])).toEqual({ missing: [], outside: ['vendor/new.txt', 'vendor/deeper/new.txt'] });
  });

  it('a dangling symlink whose target would be outside the project is outside', () => {
    const { root, outside } = layout();
    symlinkSync(path.join(outside, 'not-yet.txt'), path.join(root, 'out.txt'));
    symlinkSync('../../elsewhere/later/x.txt', path.join(root, 'src/rel.txt'));
    expect(checkProjectPaths(root, ['out.txt', 'src/rel.txt'])).toEqual({ missing: [], outside: ['out.txt', 'src/rel.txt'] });
  });

  it('symlinks that point at each other do not loop', () => {
    const { root } = layout();
    symlinkSync(path.join(root, 'b'), path.join(root, 'a'));
    symlinkSync(path.join(root, 'a'), path.join(root, 'b'));
    expect(checkProjectPaths(root, ['a'])).toEqual({ missing: ['a'], outside: [] });
  });

  it('a symlink inside the project to another file inside is fine', () => {
    const { root } = layout();
    symlinkSync(path.join(root, 'src/a.ts'), path.join(root, 'alias.ts'));
    expect(checkProjectPaths(root, ['alias.ts'])).toEqual({ missing: [], outside: [] });
  });

  it('a dangling symlink is missing', () => {
    const { root } = layout();
    symlinkSync(path.join(root, 'gone.ts'), path.join(root, 'dangling.ts'));
    expect(checkProjectPaths(root, ['dangling.ts'])).toEqual({ missing: ['dangling.ts'], outside: [] });
  });

  it('works when the project root itself is reached through a symlink', () => {
    const { root } = layout();
    const alias = path.join(path.dirname(root), 'project-alias');
    symlinkSync(root, alias, 'dir');
    // Paths given through the alias or through the real folder both count as inside.
    expect(checkProjectPaths(alias, ['src/a.ts', path.join(alias, 'README.md'), path.join(root, 'README.md'), 'src/b.ts'])).toEqual({
      missing: ['src/b.ts'],
      outside: [],
    });
  });

  it('a name inside that starts with two dots is inside', () => {
    const { root } = layout();
    writeFile(root, '..cache/x.json', '{}');
    writeFile(root, '..notes', 'n');
    expect(checkProjectPaths(root, ['..cache/x.json', '..notes'])).toEqual({ missing: [], outside: [] });
  });

  it('lists a path given twice once', () => {
    const { root } = layout();
    expect(checkProjectPaths(root, ['x.ts', 'x.ts', '../y', '../y'])).toEqual({ missing: ['x.ts'], outside: ['../y'] });
  });

  it('an empty folder counts as existing', () => {
    const { root } = layout();
    mkdirSync(path.join(root, 'empty'));
    expect(checkProjectPaths(root, ['empty'])).toEqual({ missing: [], outside: [] });
  });
});

describe('isInside', () => {
  it.each([
    ['/p', '/p', true],
    ['/p', '/p/a/b', true],
    ['/p', '/p/..a', true],
    ['/p', '/', false],
    ['/p', '/pq', false],
    ['/p', '/q', false],
    ['/', '/q', true],
  ])('isInside(%s, %s) = %s (paths as path.resolve leaves them)', (root, candidate, inside) => {
    expect(isInside(root, candidate)).toBe(inside);
  });
});
