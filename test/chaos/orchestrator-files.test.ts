import { copyFileSync, existsSync, lstatSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, startCli } from '../support/cli.js';
import { makeProject, orchestratorDir } from '../support/files.js';
import { mkfifo, tempDir } from '../support/tmp.js';
import { CHAOS_AGENT, chaosOptions, startCounts, within } from './support.js';

/**
 * A FIFO or a folder where ccasp keeps one of its files under .claude/orchestrator/ (state.json,
 * memory.md, outbox.jsonl, an agent's log), or something other than a folder in place of logs/ or
 * .claude/orchestrator/ itself, once
 * made `run`, `status`, `reset`, `unblock`, `logs` and `sync` hang on the read (a FIFO's open waits for
 * a writer) or fail with an internal error. Now each exits 2 at once, naming the path, under
 * "Invalid orchestrator state:", with nothing started and the thing in the file's place left alone.
 */

type Make = 'fifo' | 'folder' | 'file';

interface Case {
  readonly args: readonly string[];
  /** Relative to .claude/orchestrator/. */
  readonly rel: string;
  readonly make: Make;
}

const RUN = ['run', 'plan', '--claude-bin', CHAOS_AGENT, '--no-github'];
const FILES_READ: Record<string, { readonly args: readonly string[]; readonly files: readonly string[] }> = {
  run: { args: RUN, files: ['state.json', 'memory.md', 'outbox.jsonl', 'events.jsonl', 'logs/T2.1.jsonl'] },
  status: { args: ['status', 'plan'], files: ['state.json'] },
  reset: { args: ['reset', 'T2', 'plan'], files: ['state.json'] },
  unblock: { args: ['unblock', 'T1', 'plan'], files: ['state.json'] },
  logs: { args: ['logs', 'T2', 'plan'], files: ['state.json', 'logs/T2.1.jsonl'] },
  'logs --json': { args: ['logs', 'T2', 'plan', '--json'], files: ['logs/T2.1.jsonl'] },
  sync: { args: ['sync', 'plan'], files: ['outbox.jsonl'] },
};
/** logs/ itself: a FIFO or a file where the folder should be. */
const LOGS_FOLDER_READ = [RUN, ['logs', 'T2', 'plan']];
/** .claude/orchestrator/ itself: a file where the folder should be. */
const FOLDER_USED = [RUN, FILES_READ.reset!.args, FILES_READ.unblock!.args, ['logs', 'T2', 'plan']];

const CASES: Case[] = [
  ...Object.values(FILES_READ).flatMap(({ args, files }) => files.flatMap((rel) => (['fifo', 'folder'] as const).map((make) => ({ args, rel, make })))),
  ...LOGS_FOLDER_READ.flatMap((args) => (['fifo', 'file'] as const).map((make) => ({ args, rel: 'logs', make }))),
  ...FOLDER_USED.map((args) => ({ args, rel: '', make: 'file' as const })),
];

const PLAN = {
  name: 'Orchestrator files',
  phases: [
    {
      id: 'P1',
      name: 'Only',
      tasks: [
        { id: 'T1', title: 'Blocked', status: 'blocked', blocker: 'needs a key' },
        { id: 'T2', title: 'Pending', status: 'pending', file: 'out/T2.txt' },
      ],
    },
  ],
};

function make(file: string, what: Make): void {
  mkdirSync(path.dirname(file), { recursive: true });
  if (what === 'folder') mkdirSync(file);
  else if (what === 'file') writeFileSync(file, 'not a folder\n');
  else mkfifo(file);
}

const EXPECTED: Record<Make, RegExp> = { fifo: /is not a (regular file|directory)/, folder: /is a directory, expected/, file: /: is not a directory/ };
const KIND: Record<Make, (file: string) => boolean> = {
  fifo: (f) => lstatSync(f).isFIFO(),
  folder: (f) => lstatSync(f).isDirectory(),
  file: (f) => lstatSync(f).isFile(),
};

async function checkCase(c: Case, dir: string): Promise<void> {
  const project = makeProject(PLAN, dir);
  // T2's log is there (so that `logs` reads state.json too) unless the case puts something else in its place.
  const log = path.join(orchestratorDir(project), 'logs', 'T2.1.jsonl');
  mkdirSync(path.dirname(log), { recursive: true });
  copyFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'stream', 'write-success.jsonl'), log);
  const file = path.join(orchestratorDir(project), c.rel);
  rmSync(file, { recursive: true, force: true });
  make(file, c.make);
  const startsDir = path.join(dir, 'starts');
  mkdirSync(startsDir);
  const label = `ccasp ${c.args.join(' ')} with a ${c.make} as ${c.rel || '.claude/orchestrator'}`;
  // A hang is the failure this guards against: the command must be done well within the test's time.
  const r = await within(startCli(c.args, chaosOptions(project, { CHAOS_STARTS_DIR: startsDir })).done, 20_000, label);
  expect(r.code, `${label}\n${r.stderr}`).toBe(2);
  expect(r.stderr, label).toContain(`Invalid orchestrator state:\n  ${file}: `);
  expect(r.stderr, label).toMatch(EXPECTED[c.make]);
  expect(r.stderr, label).not.toMatch(/internal error|\n\s+at .*\(/);
  expect(startCounts(startsDir).size, `${label}: no agent started`).toBe(0);
  expect(KIND[c.make](file), `${label}: left as it was`).toBe(true);
  expect(existsSync(path.join(orchestratorDir(project), 'lock')), `${label}: no lock left`).toBe(false);
}

describe('a FIFO or a folder where ccasp keeps a file', () => {
  it(`exits 2 at once naming the path, in each of ${CASES.length} cases`, async () => {
    const work = tempDir('ccasp-chaos-orchestrator-files-');
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < CASES.length) {
        const i = next++;
        await checkCase(CASES[i]!, path.join(work, `case-${i}`)).catch((error: unknown) => void failures.push(error instanceof Error ? error.message : String(error)));
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    expect(failures).toEqual([]);
  }, 120_000);
});
