import { Command } from 'commander';
import { homedir, hostname } from 'node:os';
import path from 'node:path';
import { parseDuration } from '../duration.js';
import { flagParser, positiveInt } from '../config/settings.js';
import { writeLine, type Io } from '../io.js';
import { onStopSignal } from '../stop-signals.js';

interface WorkerSwitches {
  readonly queue: string;
  readonly concurrency: number;
  readonly exitWhenIdle?: number | true;
  readonly lease: number;
  readonly workDir?: string;
  readonly claudeBin?: string;
}

const IDLE_DEFAULT_MS = 30_000;
const EXIT_GRACE_MS = 1_000;

export function workerCommand(io: Io): Command {
  return new Command('worker')
    .description("take task attempts from a coordinator's queue (`ccasp run --queue`) and run them on this machine")
    .requiredOption('--queue <redis-url>', 'the Redis the coordinator uses (redis:// or rediss://)')
    .option('--concurrency <n>', 'attempts at once', flagParser('--concurrency', positiveInt), 1)
    .option('--exit-when-idle [duration]', 'end once the queue has had nothing waiting or running this long (default 30s)', parseDuration('--exit-when-idle'))
    .option('--lease <duration>', "how soon another worker takes this one's attempts should it die", parseDuration('--lease'), 30_000)
    .option('--work-dir <path>', "this worker's clones and worktrees; one folder per worker (default ~/.cache/ccasp/worker)")
    .option('--claude-bin <path>', 'the claude executable (also CCASP_CLAUDE_BIN; default: claude on PATH)')
    .action(async (switches: WorkerSwitches) => {
      // Loaded on demand: no other command pays for BullMQ and ioredis.
      const { runWorker } = await import('../../queue/worker.js');
      const { withoutCredentials } = await import('../../queue/url.js');
      const { agentEnv } = await import('../../secrets/agent-env.js');
      const { createRedactor, secretsFromEnv } = await import('../../secrets/redact.js');
      const name = `${hostname()}:${process.pid}`;
      const workDir = path.resolve(io.cwd, switches.workDir ?? path.join(homedir(), '.cache', 'ccasp', 'worker'));
      const stop = new AbortController();
      onStopSignal(() => stop.abort());
      writeLine(io.stderr, `ccasp worker ${name}: taking attempts from ${withoutCredentials(switches.queue)} (${switches.concurrency} at once), working in ${workDir}`);
      await runWorker(
        {
          url: switches.queue,
          concurrency: switches.concurrency,
          leaseMs: switches.lease,
          ...(switches.exitWhenIdle !== undefined ? { exitWhenIdleMs: switches.exitWhenIdle === true ? IDLE_DEFAULT_MS : switches.exitWhenIdle } : {}),
          machine: {
            workDir,
            claudeBin: switches.claudeBin ?? io.env.CCASP_CLAUDE_BIN ?? 'claude',
            env: agentEnv(io.env, [], []),
            redact: createRedactor(secretsFromEnv(io.env)),
            name,
          },
          log: (line) => writeLine(io.stderr, line),
        },
        stop.signal,
      );
      writeLine(io.stderr, `ccasp worker ${name}: stopped`);
      // The connection BullMQ made for itself retries an unreachable Redis for ever; once everything
      // of ccasp's is closed, it alone would keep the process alive. The timer never holds it.
      setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
    });
}
