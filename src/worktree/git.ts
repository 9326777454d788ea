import path from 'node:path';
import { spawn } from 'node:child_process';

/** A git command that failed in a way the caller did not expect; the message carries git's own words. */
export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | undefined,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed${exitCode !== undefined ? ` (exit ${exitCode})` : ''}: ${stderr.trim() || 'no output'}`);
    this.name = 'GitError';
  }
}

export interface GitResult {
  readonly exitCode: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

export interface GitOptions {
  readonly input?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Own process group: a Ctrl-C at the terminal must not cut a merge in half (ccasp stops it cleanly). */
  readonly detached?: boolean;
}

// Set by git for hooks and by users' shells; with them, `-C dir` would still act on another repository.
const REPOSITORY_VARIABLES = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_PREFIX'];

function gitEnv(extra: Readonly<Record<string, string>> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // Messages are parsed (paths a merge would overwrite), so they must be git's English ones.
    LC_ALL: 'C',
    LANGUAGE: 'C',
    // Nothing may wait for a person: no credential prompt, no editor for merge messages.
    GIT_TERMINAL_PROMPT: '0',
    GIT_EDITOR: 'true',
    GIT_MERGE_AUTOEDIT: 'no',
    // `git status` would otherwise take index.lock to refresh stat data and race ccasp's own merges.
    GIT_OPTIONAL_LOCKS: '0',
    ...extra,
  };
  for (const name of REPOSITORY_VARIABLES) delete env[name];
  return env;
}

/**
 * Runs `git -C cwd ...args` without a shell; never throws for a non-zero exit. On node's own
 * `spawn` rather than execa: a run makes hundreds of these calls, on the event loop that also reads
 * the agents' streams, and execa's machinery doubled what each call costs that loop.
 */
export function git(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', cwd, ...args], {
      env: gitEnv(options.env),
      stdio: 'pipe',
      detached: options.detached ?? false,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', (error) => reject(new GitError(args, undefined, `git could not be started: ${error.message}`)));
    // `close`, not `exit`: only then has all of git's output been read.
    child.once('close', (code) =>
      resolve({ exitCode: code ?? undefined, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }),
    );
    // git may exit without reading its input (a refused commit): that is its answer, not a crash here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);
  });
}

/** Like `git`, but a non-zero exit is an error; returns stdout without its final newline. */
export async function gitOk(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<string> {
  const result = await git(cwd, args, options);
  if (result.exitCode !== 0) throw new GitError(args, result.exitCode, result.stderr || result.stdout);
  return result.stdout.replace(/\n$/, '');
}

/** NUL-separated output (`-z`) as a list. */
export function splitZ(output: string): string[] {
  return output.split('\0').filter((s) => s !== '');
}

const queues = new Map<string, Promise<void>>();

/**
 * Runs `fn` after every earlier `serial` call for the same repository has settled. Creating and
 * removing worktrees, deleting branches (packed-refs) and merging all take repository-wide locks;
 * git fails rather than waits on a held lock, so ccasp queues its own operations instead.
 * Functions run inside must not call `serial` for the same key again.
 */
export function serial<T>(root: string, fn: () => Promise<T>): Promise<T> {
  const key = path.resolve(root);
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.then(fn);
  const settled = next.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return next;
}

const identities = new Map<string, Readonly<Record<string, string>>>();

/**
 * Environment for ccasp's own commits. A machine without user.name/email would make every commit
 * fail ("Please tell me who you are"); then ccasp commits as itself rather than stop the run.
 */
export async function commitIdentity(cwd: string): Promise<Readonly<Record<string, string>>> {
  const key = path.resolve(cwd);
  const known = identities.get(key);
  if (known) return known;
  const probe = await git(cwd, ['var', 'GIT_COMMITTER_IDENT']);
  const env: Readonly<Record<string, string>> =
    probe.exitCode === 0
      ? {}
      : { GIT_AUTHOR_NAME: 'ccasp', GIT_AUTHOR_EMAIL: 'ccasp@localhost', GIT_COMMITTER_NAME: 'ccasp', GIT_COMMITTER_EMAIL: 'ccasp@localhost' };
  identities.set(key, env);
  return env;
}
