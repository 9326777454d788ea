import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { commitTaskWork, createTaskWorktree, type TaskWorktree } from '../../src/worktree/index.js';
import { tempDir } from '../support/tmp.js';

const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));

/** `git -C dir ...args`, its stdout without the final newline; throws on a non-zero exit. */
export function sh(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], { env: { ...env, LC_ALL: 'C' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).replace(/\n$/, '');
}

/** Like `sh`, but returns the exit code instead of throwing. */
export function shStatus(dir: string, ...args: string[]): number {
  try {
    sh(dir, ...args);
    return 0;
  } catch (error) {
    return (error as { status?: number }).status ?? -1;
  }
}

export function put(dir: string, rel: string, content: string): void {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

export function read(dir: string, rel: string): string {
  return readFileSync(path.join(dir, rel), 'utf8');
}

export const SHARED = 'line 1\nline 2\nline 3\n';
export const PLAN = 'plan/PROGRESS.json';

/** A repository on `main` with a shared file, a plan file and one commit; its own identity, no signing. */
export function newRepo(): string {
  const root = path.join(tempDir('ccasp-wt-'), 'project');
  mkdirSync(root);
  sh(root, 'init', '--quiet', '--initial-branch=main');
  sh(root, 'config', 'user.name', 'Test User');
  sh(root, 'config', 'user.email', 'test@example.com');
  sh(root, 'config', 'commit.gpgsign', 'false');
  put(root, 'README.md', '# project\n');
  put(root, 'src/shared.txt', SHARED);
  put(root, PLAN, '{"name": "p", "status": "pending"}\n');
  sh(root, 'add', '--all');
  sh(root, 'commit', '--quiet', '-m', 'initial');
  return root;
}

/** What an agent does: write files in its worktree, optionally committing on its own. */
export function agentWrites(wt: string, files: Record<string, string>, commitMessage?: string): void {
  for (const [rel, content] of Object.entries(files)) put(wt, rel, content);
  if (commitMessage) {
    sh(wt, 'add', '--all');
    sh(wt, 'commit', '--quiet', '-m', commitMessage);
  }
}

/**
 * Tasks A and B of `plan` started side by side from main, each having written its `files` and had
 * them committed by ccasp (summaries "a" and "b"); nothing is integrated yet.
 */
export async function twoCommittedTasks(
  root: string,
  plan: string,
  files: { readonly A: Record<string, string>; readonly B: Record<string, string> },
): Promise<[TaskWorktree, TaskWorktree]> {
  const start = (taskId: string) => createTaskWorktree(root, { planId: plan, taskId, attempt: 1, base: 'main' });
  const [a, b] = await Promise.all([start('A'), start('B')]);
  agentWrites(a.path, files.A);
  agentWrites(b.path, files.B);
  await commitTaskWork(a.path, { taskId: 'A', summary: 'a' });
  await commitTaskWork(b.path, { taskId: 'B', summary: 'b' });
  return [a, b];
}

export function subjects(dir: string, rev = 'HEAD'): string[] {
  return sh(dir, 'log', '--format=%s', rev).split('\n');
}
