import path from 'node:path';
import type { GithubFlags } from '../../github/options.js';
import type { Io } from '../io.js';
import { loadConfig } from './load.js';
import type { PlanSettings, RunSettings } from './settings.js';

/** `ccasp run`'s per-invocation switches: flags only, neither variables nor config keys. */
export interface RunSwitches extends GithubFlags {
  /** False with `--no-wait`. */
  readonly wait: boolean;
  readonly maxTurns?: number;
  readonly dryRun?: boolean;
  readonly retryBlocked?: boolean;
  readonly fresh?: boolean;
  readonly json?: boolean;
  readonly hardLimit?: boolean;
  /** Worktree mode: the branch completed tasks are merged into (default: the current one). */
  readonly branch?: string;
  /** Worktree mode: start although the working tree has uncommitted changes. */
  readonly allowDirty?: boolean;
  /** Serve the dashboard beside the run; `dashboardPort` alone does too. */
  readonly dashboard?: boolean;
  readonly dashboardPort?: number;
}

/** What `ccasp run` was given on its command line. */
export interface RunInvocation {
  readonly switches: RunSwitches;
  /** The settings typed as flags (setting-options.ts `givenSettings`). */
  readonly flags: Partial<RunSettings>;
}

/** Everything a run is told, each setting resolved once from every layer. */
export type RunOptions = RunSwitches & RunSettings;

/** The run's options for a plan that has been read: its own settings are the layer below the config file. */
export async function loadRunOptions(invocation: RunInvocation, plan: { readonly file: string; readonly plan: PlanSettings }, io: Io): Promise<RunOptions> {
  const config = await loadConfig(path.dirname(plan.file), io.env, invocation.flags, { cwd: io.cwd, plan: { file: plan.file, settings: plan.plan } });
  return { ...invocation.switches, ...config.run };
}
