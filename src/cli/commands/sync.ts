import { Command, Option } from 'commander';
import { existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { CcaspError, ExitCode, UsageError } from '../../errors.js';
import type { FlushOptions } from '../../github/flush.js';
import { addGithubDeliveryOptions, type GithubDeliveryFlags } from '../../github/options.js';
import { resolvePlanArgument } from '../../plan/discover.js';
import { findProjectRoot } from '../../project-root.js';
import { parseDuration } from '../duration.js';
import { globalColor } from '../global-options.js';
import { chalkFor, writeJson, writeLine, type Io } from '../io.js';
import { displayPath } from '../status-report.js';

interface SyncFlags extends GithubDeliveryFlags {
  /** Milliseconds. */
  readonly timeout: number;
  readonly json?: boolean;
}

/**
 * `ccasp sync [plan-dir]`: deliver the GitHub updates a run could not (GitHub down, rate limited, a
 * bad token), now. Exit 0 when the outbox is empty afterwards; 2 when there is no token or GitHub
 * refuses it or cannot find the issue (the message says what to fix); 7 when GitHub is still
 * unavailable or rate limiting, so try again later. Nothing is lost in any case. `seams` are for tests.
 */
export function syncCommand(io: Io, seams: Pick<FlushOptions, 'client' | 'backoff' | 'ghAuthToken'> = {}): Command {
  return addGithubDeliveryOptions(
    new Command('sync')
      .description('deliver the GitHub progress updates waiting in .claude/orchestrator/outbox.jsonl')
      .argument('[plan-dir]', 'the plan (its project holds the outbox; default: the current project)')
      .addOption(
        new Option('--timeout <duration>', 'keep retrying for this long; what is left stays in the outbox')
          .argParser(parseDuration('--timeout'))
          .default(2 * 60_000, '2m'),
      )
      .option('--json', 'print the result as one JSON object on stdout'),
  ).action(async (planDir: string | undefined, flags: SyncFlags, cmd: Command) => {
    const root = projectRootFor(planDir, io.cwd);
    const c = chalkFor(globalColor(cmd), io, flags.json ? 'stderr' : 'stdout');
    const human = flags.json ? io.stderr : io.stdout;
    // Loaded on demand: only sync and run ever load the GitHub client.
    const { flushOutbox } = await import('../../github/flush.js');
    const { lockPath, outboxPath } = await import('../../state/paths.js');
    if (!existsSync(outboxPath(root))) return report(io, flags, { file: outboxPath(root), delivered: [], pending: 0 }, human, c);

    const { acquireLock } = await import('../../state/lock.js');
    // The run that owns the outbox delivers it itself; two deliverers would only race each other.
    const lock = await acquireLock(lockPath(root), { command: 'ccasp sync' });
    try {
      const result = await flushOutbox({
        projectRoot: root,
        flags,
        env: io.env,
        timeoutMs: flags.timeout,
        notify: (n) => writeLine(io.stderr, c.yellow(`${n.level}: ${n.message}`)),
        ...seams,
      });
      if (result.kind === 'off') throw new UsageError(`${result.pending} GitHub update(s) wait in ${displayPath(result.file, io.cwd)}, but ${result.message}.`);
      const status = result.kind === 'flushed' ? result.status : undefined;
      const delivered = (status?.delivered ?? []).map((d) => ({
        kind: d.entry.kind,
        id: d.entry.id,
        issue: `${d.entry.target.owner}/${d.entry.target.repo}#${d.entry.target.issue}`,
        posted: d.posted,
      }));
      report(io, flags, { file: result.file, delivered, pending: status?.pending ?? 0, ...(status?.disabled ? { stopped: status.disabled } : {}) }, human, c);
      if (status?.disabled) throw new UsageError(`GitHub sync stopped: ${status.disabled}.`);
      if (status && status.pending > 0) {
        throw new CcaspError(
          `${status.pending} update(s) are still waiting (${status.lastResult ?? 'GitHub did not answer in time'}); run \`ccasp sync\` again later.`,
          ExitCode.rateLimited,
        );
      }
    } finally {
      await lock.release();
    }
  });
}

interface Report {
  readonly file: string;
  readonly delivered: readonly { kind: string; id: string; issue: string; posted: boolean }[];
  readonly pending: number;
  readonly stopped?: string;
}

function report(io: Io, flags: SyncFlags, r: Report, human: NodeJS.WritableStream, c: ReturnType<typeof chalkFor>): void {
  if (flags.json) {
    writeJson(io, r);
    return;
  }
  if (r.delivered.length === 0 && r.pending === 0) {
    writeLine(human, `${c.green('✔')} nothing to deliver: ${displayPath(r.file, io.cwd)} is empty`);
    return;
  }
  for (const d of r.delivered) {
    writeLine(human, `${c.green('✔')} ${d.issue}: ${d.kind} ${d.id}${d.posted ? '' : c.dim(' (already there)')}`);
  }
  writeLine(human, `${r.delivered.length} delivered, ${r.pending} waiting in ${displayPath(r.file, io.cwd)}`);
}

/** The project holding the plan; the current project without an argument (sync needs no plan). */
function projectRootFor(planDir: string | undefined, cwd: string): string {
  if (planDir === undefined) return findProjectRoot(cwd);
  const resolved = path.resolve(cwd, resolvePlanArgument(planDir, cwd));
  let dir: string;
  try {
    // By its real path, as the plan's folder is when a run loads it: the same plan, the same project.
    dir = realpathSync(statSync(resolved).isDirectory() ? resolved : path.dirname(resolved));
  } catch {
    throw new UsageError(`${planDir}: no such file or directory`);
  }
  return findProjectRoot(dir);
}
