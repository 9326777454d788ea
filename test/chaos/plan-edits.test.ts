import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scriptedAgent, type AgentStep, type ScriptedAgent } from '../support/agents.js';
import { runCli, startCli, type CliResult } from '../support/cli.js';
import { lockFile, makeProject, planFile, readPlan, readStateJson, taskStatuses } from '../support/files.js';
import { processesIn } from '../support/processes.js';
import { tempDir } from '../support/tmp.js';
import { until } from '../support/until.js';
import { chaosOptions, unchanged, type PlanSpec } from './support.js';

/**
 * A person editing PROGRESS.json while a run keeps it, through the CLI with a scripted stand-in for
 * claude. The edit is made while an agent works (its pid already on disk, so ccasp writes nothing
 * until the agent ends), and ccasp's next write must take it or refuse it, never overwrite it: text
 * edits and tasks set to skipped are taken; anything else stops the run with exit 9, the file left
 * byte for byte as the person wrote it, state.json paused and the lock released.
 */

interface PlanJson {
  phases: { id: string; tasks: { id: string; title: string; status: string; [key: string]: unknown }[] }[];
  [key: string]: unknown;
}

/** T1 and T2 side by side, T3 after both. */
const plan: PlanSpec = {
  name: 'Edits',
  phases: [
    {
      id: 'P1',
      name: 'Only',
      tasks: [
        { id: 'T1', title: 'First', status: 'pending', file: 'out/T1.txt' },
        { id: 'T2', title: 'Second', status: 'pending', file: 'out/T2.txt' },
        { id: 'T3', title: 'Third', status: 'pending', file: 'out/T3.txt', dependencies: ['T1', 'T2'] },
      ],
    },
  ],
};

/** An agent that works two seconds before it writes its file and reports. */
const slow = (id: string): AgentStep[] => [{ sleep: 2000 }, { write: `out/${id}.txt` }, { complete: {} }];
const BOTH_SLOW = { T1: [slow('T1')], T2: [slow('T2')] };

interface EditedRun {
  readonly project: string;
  readonly agent: ScriptedAgent;
  readonly result: CliResult;
  /** The file as the person wrote it. */
  readonly written: Buffer;
}

/**
 * Runs the plan with `script`, and once the agents of T1 and T2 are at work and ccasp has written
 * what their start is (it writes nothing more until one ends: the edit must wait for that write to be
 * found, not race it) rewrites PROGRESS.json with `edit` applied, in place as an editor that does not
 * rename would.
 */
async function runWithEdit(edit: (json: PlanJson) => string | PlanJson, script: Record<string, AgentStep[][]> = BOTH_SLOW): Promise<EditedRun> {
  const busy = ['T1', 'T2'];
  const project = makeProject(plan, tempDir('ccasp-chaos-edits-'));
  const agent = scriptedAgent(script);
  const run = startCli(['run', 'plan', '--json', '--no-github', '--max-retries', '0', '--concurrency', '2'], { ...chaosOptions(project), env: agent.env() });
  await until(() => {
    const pids = new Map(readStateJson(project).activeAgents.map((a) => [a.taskId, a.pid]));
    return busy.every((id) => pids.get(id) !== undefined) || undefined;
  }, `agents for ${busy.join(', ')} at work`);
  await unchanged(planFile(project));
  const edited = edit(JSON.parse(readFileSync(planFile(project), 'utf8')) as PlanJson);
  const written = Buffer.from(typeof edited === 'string' ? edited : `${JSON.stringify(edited, null, 2)}\n`);
  writeFileSync(planFile(project), written);
  return { project, agent, result: await run.done, written };
}

/** The run's notices, from its --json events. */
function notices(r: CliResult): string[] {
  return r.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { type: string; message?: string })
    .flatMap((e) => (e.type === 'run.notice' && e.message ? [e.message] : []));
}

const task = (json: PlanJson, id: string) => json.phases[0]!.tasks.find((t) => t.id === id)!;

/** A refused edit: exit 9 naming the file and the change, the file as written, state paused, lock released, no agent left. */
function expectRefused(r: EditedRun, change: RegExp): void {
  expect(r.result.code, r.result.stderr).toBe(9);
  expect(r.result.stderr).toContain(`${planFile(r.project)} was changed during the run in a way ccasp cannot take`);
  expect(r.result.stderr).toMatch(change);
  expect(r.result.stderr).not.toMatch(/internal error|\n\s+at .*\(/);
  expect(readFileSync(planFile(r.project)).equals(r.written), 'the file is byte for byte what the person wrote').toBe(true);
  const state = readStateJson(r.project);
  expect(state.status).toBe('paused');
  expect(state.activeAgents).toEqual([]);
  expect(existsSync(lockFile(r.project)), 'the lock was released').toBe(false);
  expect(processesIn(r.project), 'no agent left running').toEqual([]);
}

describe('a person editing PROGRESS.json during a run', () => {
  it('keeps a changed title and a field of their own, and the run completes', async () => {
    const r = await runWithEdit(
      (json) => {
        task(json, 'T3').title = 'Third, renamed by hand';
        task(json, 'T2').owner = 'ana';
        return json;
      },
    );
    expect(r.result.code, r.result.stderr).toBe(0);
    expect(notices(r.result)).toContainEqual(expect.stringContaining(`${planFile(r.project)} was edited during the run: your edits are kept`));
    const json = JSON.parse(readFileSync(planFile(r.project), 'utf8')) as PlanJson;
    expect(task(json, 'T3').title).toBe('Third, renamed by hand');
    expect(task(json, 'T2').owner).toBe('ana');
    expect(taskStatuses(r.project)).toEqual({ T1: 'completed', T2: 'completed', T3: 'completed' });
    expect(readStateJson(r.project).status).toBe('completed');
  });

  it('does not run a pending task set to skipped, and it stays skipped', async () => {
    const r = await runWithEdit(
      (json) => {
        task(json, 'T3').status = 'skipped';
        return json;
      },
    );
    expect(r.result.code, r.result.stderr).toBe(0);
    expect(notices(r.result)).toContainEqual(expect.stringContaining('"T3" skipped, so it does not run'));
    expect(r.agent.starts().map((s) => s.taskId).sort()).toEqual(['T1', 'T2']);
    expect(taskStatuses(r.project)).toEqual({ T1: 'completed', T2: 'completed', T3: 'skipped' });
    expect(readPlan(r.project).status).toBe('completed');
  });

  it('stops on a removed task, ending the agents, and leaves the file as the person wrote it', async () => {
    const r = await runWithEdit(
      (json) => {
        json.phases[0]!.tasks = json.phases[0]!.tasks.filter((t) => t.id !== 'T3');
        return json;
      },
      { T1: [slow('T1')], T2: [[{ hang: true }]] },
    );
    expectRefused(r, /task "T3" was removed/);
    const state = readStateJson(r.project);
    expect(state.attempts.find((a) => a.taskId === 'T2')?.outcome, "T2's agent was ended").toBe('interrupted');
  });

  it('stops on a status it cannot take, and on a file that is no longer valid JSON', async () => {
    const blocked = await runWithEdit(
      (json) => {
        task(json, 'T3').status = 'completed';
        return json;
      },
    );
    expectRefused(blocked, /task "T3": its status changed from pending to completed/);
    const broken = await runWithEdit((json) => JSON.stringify(json).slice(0, 40));
    expectRefused(broken, /it is no longer a valid plan \(.*is not valid JSON/);
  });

  it('stops when the task set to skipped is running, and the next run does not run it', async () => {
    const r = await runWithEdit(
      (json) => {
        task(json, 'T1').status = 'skipped';
        return json;
      },
    );
    expectRefused(r, /task "T1" was set to skipped while its agent was running/);
    const startsOfT1 = () => r.agent.starts().filter((s) => s.taskId === 'T1').length;
    const before = startsOfT1();
    const again = await runCli(['run', 'plan', '--no-github'], { ...chaosOptions(r.project), env: r.agent.env() });
    expect(again.code, again.stderr).toBe(0);
    expect(startsOfT1(), 'T1 does not run again').toBe(before);
    expect(taskStatuses(r.project)).toMatchObject({ T1: 'skipped', T3: 'completed' });
  });
});
