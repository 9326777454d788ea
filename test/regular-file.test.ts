import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRole } from '../src/agents/roles.js';
import { readOriginUrl } from '../src/github/git-remote.js';
import { readRegularTextSync } from '../src/regular-file.js';
import { mkfifo, tempDir, writeFile } from './support/tmp.js';

describe('readRegularTextSync', () => {
  it('reads a regular file, and takes a pipe, a folder or nothing for no file, without waiting', () => {
    const dir = tempDir();
    writeFile(dir, 'plain.txt', 'hello');
    mkfifo(path.join(dir, 'pipe'));
    mkdirSync(path.join(dir, 'folder'));
    expect(readRegularTextSync(path.join(dir, 'plain.txt'))).toBe('hello');
    // A FIFO opened for reading waits for a writer: returning at all is what this checks.
    expect(readRegularTextSync(path.join(dir, 'pipe'))).toBeUndefined();
    expect(readRegularTextSync(path.join(dir, 'folder'))).toBeUndefined();
    expect(readRegularTextSync(path.join(dir, 'absent'))).toBeUndefined();
  });

  it('a pipe in place of a project\'s role or git config is as good as none', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, '.claude', 'agents'), { recursive: true });
    mkfifo(path.join(dir, '.claude', 'agents', 'l2-general-specialist.md'));
    expect(loadRole(dir, 'l2-general-specialist').text).toContain('specialist');
    mkdirSync(path.join(dir, '.git'));
    mkfifo(path.join(dir, '.git', 'config'));
    expect(readOriginUrl(dir)).toBeUndefined();
  });
});
