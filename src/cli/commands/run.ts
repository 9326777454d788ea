import { Command, Option } from 'commander';
import { parseDuration } from '../duration.js';
import type { Io } from '../io.js';
import { addGithubOptions, type GithubFlags } from '../../github/options.js';
import type { ReportFormat } from '../../agents/report.js';
import { flagParser, positiveInt, positiveNumber, REPORT_FORMATS, RUN_SETTINGS, wholeNumber, type IsolationMode } from '../config/settings.js';

export interface RunFlags extends GithubFlags {
  readonly concurrency?: number;
  readonly claudeBin?: string;
  readonly model: string;
  readonly simpleModel: string;
  readonly permissionMode: string;
  readonly maxRetries: number;
  /** Milliseconds. */
  readonly taskTimeout: number;
  /** Milliseconds. */
  readonly stallTimeout: number;
  readonly wait: boolean;
  readonly maxTurns?: number;
  readonly dryRun?: boolean;
  readonly retryBlocked?: boolean;
  readonly fresh?: boolean;
  readonly json?: boolean;
  readonly tokenLimit?: number;
  readonly maxCostUsd?: number;
  readonly hardLimit?: boolean;
  /** worktree: a git worktree per task, merged back in order; none: agents share the working tree. Default: see cli/isolation.ts. */
  readonly isolation?: IsolationMode;
  /** Worktree mode: the branch completed tasks are merged into (default: the current one). */
  readonly branch?: string;
  /** Worktree mode: start although the working tree has uncommitted changes. */
  readonly allowDirty?: boolean;
  /** Where agents put their completion report: the text block, or claude's structured output. */
  readonly reportFormat: ReportFormat;
}

export function runCommand(io: Io, setExit: (code: number) => void): Command {
  const command = new Command('run')
    .description('run the plan: delegate each ready task to a claude agent, check its work, keep PROGRESS.json true')
    .argument('<plan-dir>', 'directory holding PROGRESS.json, or the plan file itself')
    .option('-c, --concurrency <n>', "agents at once (default: the plan's own setting, else 1)", flagParser('--concurrency', positiveInt))
    .option('--claude-bin <path>', 'the claude executable (default: $CCASP_CLAUDE_BIN, else claude on PATH)')
    .option('--model <name>', 'model for tasks that name none', 'sonnet')
    .option('--simple-model <name>', 'model for tasks the plan marks simple', 'haiku')
    .option('--permission-mode <mode>', "claude's permission mode for agents", 'acceptEdits')
    .option('--max-retries <n>', 'retries per task after the first attempt', flagParser('--max-retries', wholeNumber), 3)
    .addOption(
      new Option('--task-timeout <duration>', 'stop an agent that runs longer than this (30m, 90s, 1h)')
        .argParser(parseDuration('--task-timeout'))
        .default(30 * 60_000, '30m'),
    )
    .addOption(
      new Option('--stall-timeout <duration>', 'stop an agent that prints nothing for this long')
        .argParser(parseDuration('--stall-timeout'))
        .default(5 * 60_000, '5m'),
    )
    .option('--no-wait', 'on a usage limit, stop (exit 7) instead of waiting for the reset')
    .option('--max-turns <n>', "cap each agent's turns (claude --max-turns)", flagParser('--max-turns', positiveInt))
    .option('--token-limit <n>', "stop spawning once this many tokens are used (default: the plan's token_limit, else none)", flagParser('--token-limit', positiveInt))
    .option('--max-cost-usd <n>', 'stop spawning once this much is spent; each agent also gets a per-task cap', flagParser('--max-cost-usd', positiveNumber))
    .option('--hard-limit', 'at a budget limit, stop running agents too instead of letting them finish')
    .option('--dry-run', 'print the schedule, routes and first prompt; spawn nothing')
    .option('--retry-blocked', 'put blocked and failed tasks back to pending first')
    .option('--fresh', 'start a new orchestrator state even if one exists for another plan')
    .addOption(
      new Option('--isolation <mode>', 'worktree: each task in its own git worktree, merged back when it completes; none: agents share the working tree (default: worktree above concurrency 1)').choices([
        'worktree',
        'none',
      ]),
    )
    .option('--branch <name>', 'worktree mode: the branch to merge completed tasks into (default: the current branch; created from HEAD if missing)')
    .option('--allow-dirty', 'worktree mode: start even though the working tree has uncommitted changes')
    .addOption(new Option(RUN_SETTINGS.reportFormat.option, RUN_SETTINGS.reportFormat.description).choices(REPORT_FORMATS).default(RUN_SETTINGS.reportFormat.default))
    .option('--json', 'newline-delimited JSON events on stdout; human lines go to stderr');
  return addGithubOptions(command)
    .action(async (planDir: string, flags: RunFlags, cmd: Command) => {
      // Loaded on demand so that status and validate never pay for execa and the run loop.
      const { runSession } = await import('../run-session.js');
      const { mergeRunFlags } = await import('../config/run-flags.js');
      setExit(await runSession(planDir, await mergeRunFlags(planDir, flags, cmd, io), cmd, io));
    });
}
