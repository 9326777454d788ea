import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeAtomic } from '../../src/state/atomic-write.js';
import { tempDir, writeFile } from '../support/tmp.js';

describe('writeAtomic', () => {
  it('replaces a file whole and leaves no temp file', async () => {
    const dir = tempDir();
    writeFile(dir, 'PROGRESS.json', 'old');
    await writeAtomic(path.join(dir, 'PROGRESS.json'), 'new');
    expect(readFileSync(path.join(dir, 'PROGRESS.json'), 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['PROGRESS.json']);
  });

  // Found here: a symlinked PROGRESS.json was replaced by a regular file, so the plan it led to (kept
  // in another folder) stopped hearing of the run.
  it('writes through a symlink, keeping the link, with its temp file beside the target', async () => {
    const base = tempDir();
    writeFile(base, 'plans/real.json', 'old');
    mkdirSync(path.join(base, 'project'));
    symlinkSync('../plans/real.json', path.join(base, 'project', 'PROGRESS.json'));
    await writeAtomic(path.join(base, 'project', 'PROGRESS.json'), 'new');
    expect(lstatSync(path.join(base, 'project', 'PROGRESS.json')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(base, 'project', 'PROGRESS.json'))).toBe('../plans/real.json');
    expect(readFileSync(path.join(base, 'plans', 'real.json'), 'utf8')).toBe('new');
    expect(readdirSync(path.join(base, 'plans'))).toEqual(['real.json']);
    expect(readdirSync(path.join(base, 'project'))).toEqual(['PROGRESS.json']);
  });

  it('follows a chain of links, and creates the target of a dangling one', async () => {
    const base = tempDir();
    mkdirSync(path.join(base, 'a'));
    symlinkSync(path.join(base, 'b.json'), path.join(base, 'a', 'state.json'));
    symlinkSync('c.json', path.join(base, 'b.json'));
    await writeAtomic(path.join(base, 'a', 'state.json'), 'made');
    expect(lstatSync(path.join(base, 'b.json')).isSymbolicLink()).toBe(true);
    expect(readFileSync(path.join(base, 'c.json'), 'utf8')).toBe('made');
  });

  it('refuses a loop of links with a write error naming the file', async () => {
    const base = tempDir();
    symlinkSync(path.join(base, 'y'), path.join(base, 'x'));
    symlinkSync(path.join(base, 'x'), path.join(base, 'y'));
    await expect(writeAtomic(path.join(base, 'x'), 'never')).rejects.toThrow(`cannot write ${path.join(base, 'x')}`);
    expect(readdirSync(base).sort()).toEqual(['x', 'y']);
  });
});
