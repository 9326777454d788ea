import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { CCASP_BIN, type CliResult } from '../support/cli.js';
import { CLAUDE_BIN, claudeEnv, makeTempDir, removeDir } from '../support/run-claude.js';
import {
  byPrompt,
  completionReport,
  startScriptedApi,
  text,
  turn,
  writeTool,
  type ScriptedApi,
  type ScriptedReply,
  type ScriptSource,
  type ScriptContext,
} from '../support/scripted-api.js';
import { writeFile } from '../support/tmp.js';
import { readPlanJson, readStateJson, type PlanJson } from '../support/files.js';

/** A project folder with a plan in it; removed when the test ends. */
export function project(plan: unknown): string {
  const dir = makeTempDir('ccasp-e2e-');
  onTestFinished(() => removeDir(dir));
  writeFile(dir, 'plan/PROGRESS.json', plan);
  return dir;
}

export async function scriptedApi(routes: Record<string, ScriptSource>): Promise<ScriptedApi> {
  const api = await startScriptedApi(byPrompt(routes));
  onTestFinished(() => api.close());
  return api;
}

/** The marker that routes a conversation to a task's script (the prompt's own task line). */
export function taskMarker(taskId: string): string {
  return `- Task ID: ${taskId}\n`;
}

/** An agent that writes each file, then reports completion honestly. */
export function honestAgent(taskId: string, files: readonly string[]): (req: unknown, ctx: ScriptContext) => ScriptedReply {
  return (_req, ctx) => {
    if (ctx.turn < files.length) {
      const file = files[ctx.turn]!;
      return turn(writeTool(path.join(ctx.cwd ?? '.', file), `// ${taskId}: ${file}\nexport const done = true;\n`));
    }
    return turn(text(completionReport({ taskId, artifacts: [...files], summary: `wrote ${files.join(', ')}` })));
  };
}

export function runEnv(apiUrl: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const configDir = makeTempDir('ccasp-claude-config-');
  onTestFinished(() => removeDir(configDir));
  const env = claudeEnv(apiUrl, configDir, { CCASP_CLAUDE_BIN: CLAUDE_BIN, CLAUDE_CODE_MAX_RETRIES: '0', ...extra });
  for (const key of ['FORCE_COLOR', 'NO_COLOR', 'CI', 'GITHUB_STEP_SUMMARY']) delete env[key];
  return env;
}

export interface RunningCcasp {
  readonly child: ChildProcess;
  readonly done: Promise<CliResult>;
  output(): string;
}

export function startCcasp(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): RunningCcasp {
  mkdirSync(cwd, { recursive: true });
  const child = spawn(process.execPath, [CCASP_BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, done, output: () => stdout + stderr };
}

export function runCcasp(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return startCcasp(args, cwd, env).done;
}

export function readPlan(dir: string): PlanJson {
  return readPlanJson(path.join(dir, 'plan', 'PROGRESS.json'));
}

export { readStateJson as readState };

export function taskStatuses(dir: string): Record<string, string> {
  return Object.fromEntries(readPlan(dir).phases.flatMap((p) => p.tasks.map((t) => [t.id, t.status])));
}

export { CLAUDE_BIN };

/** Pids of live processes whose command line contains `text` (e.g. an agent's session id). */
export function processesWith(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return pids;
}
