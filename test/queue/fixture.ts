import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startCli, type RunningCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { sh } from '../worktree/fixture.js';

/** What the queue's tests share: a bare remote for a project, and `ccasp worker`s in folders of their own. */

/** A bare repository as the project's `origin`, holding its main branch. */
export function withRemote(root: string): string {
  const remote = path.join(tempDir('ccasp-remote-'), 'remote.git');
  execFileSync('git', ['init', '--quiet', '--bare', remote]);
  sh(root, 'remote', 'add', 'origin', remote);
  sh(root, 'push', '--quiet', 'origin', 'main');
  return remote;
}

/** A worker with a short lease, so that a killed one's attempt moves on in a test's time. */
export function startWorker(url: string, env: NodeJS.ProcessEnv, extra: readonly string[] = []): { cli: RunningCli; dir: string } {
  const dir = tempDir('ccasp-worker-');
  const cli = startCli(['worker', '--queue', url, '--work-dir', dir, '--concurrency', '2', '--lease', '2s', ...extra], { env, cwd: dir });
  return { cli, dir };
}
