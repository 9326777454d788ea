import { describe, expect, it } from 'vitest';
import { git, GitError, gitOk } from '../../src/worktree/git.js';
import { newRepo } from './fixture.js';

describe('git', () => {
  it("returns git's exit and output, and gitOk's error carries git's own words", async () => {
    const root = newRepo();
    expect(await git(root, ['rev-parse', '--abbrev-ref', 'HEAD'])).toEqual({ exitCode: 0, stdout: 'main\n', stderr: '' });
    const missing = await git(root, ['rev-parse', '--verify', 'no-such-branch']);
    expect(missing.exitCode).toBe(128);
    expect(missing.stderr).toContain('fatal: Needed a single revision');
    await expect(gitOk(root, ['rev-parse', '--verify', 'no-such-branch'])).rejects.toThrow(/git rev-parse --verify no-such-branch failed \(exit 128\): fatal: /);
  });

  it('hands git its input, and survives a git that exits without reading it', async () => {
    const root = newRepo();
    expect((await git(root, ['hash-object', '--stdin'], { input: 'hello\n' })).stdout).toBe('ce013625030ba8dba906f756967f9e9ca394464a\n');
    // More than a pipe holds, to a git that fails before it reads: a broken pipe, which is not a crash.
    const refused = await git(root, ['commit', '--quiet', '-F', '-', '--', 'no-such-file'], { input: 'x'.repeat(1 << 20) });
    expect(refused.exitCode).not.toBe(0);
  });

  it('is an error saying so when git cannot be started', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const started = git('/', ['status']);
      await expect(started).rejects.toBeInstanceOf(GitError);
      await expect(started).rejects.toThrow(/git could not be started: spawn git ENOENT/);
    } finally {
      process.env.PATH = path;
    }
  });
});
