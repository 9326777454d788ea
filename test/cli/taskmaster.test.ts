import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scriptedAgent } from '../support/agents.js';
import { runCli } from '../support/cli.js';
import { readStateJson } from '../support/files.js';
import { changedPaths } from '../plan/shapes/support.js';
import { tempDir, writeFile } from '../support/tmp.js';

/** A Task Master project: the fixture's tasks.json (and state.json) where Task Master keeps them. */
function taskMasterProject(fixture: 'legacy' | 'tagged'): { root: string; tasksFile: string; before: string } {
  const fixtures = new URL(`../fixtures/plans/taskmaster/${fixture}/`, import.meta.url);
  const root = path.join(tempDir('ccasp-project-'), 'project');
  mkdirSync(path.join(root, '.git'), { recursive: true });
  const tasksPath = fixture === 'legacy' ? 'tasks.json' : '.taskmaster/tasks/tasks.json';
  const before = readFileSync(new URL(tasksPath, fixtures), 'utf8');
  const tasksFile = writeFile(root, '.taskmaster/tasks/tasks.json', before);
  if (fixture === 'tagged') writeFile(root, '.taskmaster/state.json', readFileSync(new URL('.taskmaster/state.json', fixtures), 'utf8'));
  return { root, tasksFile, before };
}

describe('ccasp run on Task Master tasks', () => {
  it("runs a legacy tasks.json to the end, changing nothing in it but Task Master's statuses", async () => {
    const { root, tasksFile, before } = taskMasterProject('legacy');
    const agent = scriptedAgent();
    const r = await runCli(['run', '.', '--json'], { cwd: root, env: agent.env() });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(agent.starts().map((s) => s.taskId).sort()).toEqual(['2.2', '3.1', '3.2']);
    // The agent is told what Task Master says about the work.
    expect(agent.starts().find((s) => s.taskId === '3.1')?.prompt).toContain('Part of task 3: Implement UI Components');

    const after = readFileSync(tasksFile, 'utf8');
    expect(changedPaths(JSON.parse(before), JSON.parse(after)).sort()).toEqual(['tasks[1].status', 'tasks[1].subtasks[1].status', 'tasks[2].status', 'tasks[2].subtasks[0].status', 'tasks[2].subtasks[1].status']);
    // Byte for byte but for those values, in Task Master's own layout.
    const statuses = /"status": "[a-z-]+"/g;
    expect(after.replace(statuses, '')).toBe(before.replace(statuses, ''));
    const tasks = (JSON.parse(after) as { tasks: { status: string; subtasks?: { status: string }[] }[] }).tasks;
    expect(tasks.map((t) => [t.status, ...(t.subtasks ?? []).map((s) => s.status)])).toEqual([['done'], ['done', 'done', 'done'], ['done', 'done', 'done']]);
    expect(readStateJson(root).status).toBe('completed');
  });

  it('works on the tag --tag names and leaves the other tags as they were', async () => {
    const { root, tasksFile, before } = taskMasterProject('tagged');
    const agent = scriptedAgent();
    const r = await runCli(['run', '.taskmaster', '--tag', 'tm-start'], { cwd: root, env: agent.env() });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(agent.starts().map((s) => s.taskId)).toEqual(['8']);
    const after = readFileSync(tasksFile, 'utf8');
    expect(changedPaths(JSON.parse(before), JSON.parse(after))).toEqual(['tm-start.tasks[5].status']);
    expect((JSON.parse(after) as Record<string, { tasks: { status: string }[] }>)['tm-start']!.tasks[5]!.status).toBe('done');

    const status = await runCli(['status', '--tag', 'tm-start', '--json'], { cwd: root });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ plan: { id: 'taskmaster-tm-start' } });
  });

  it('names the file and the tags when the tag asked for is not there', async () => {
    const { root, tasksFile } = taskMasterProject('tagged');
    const r = await runCli(['validate', '.', '--tag', 'nope'], { cwd: root });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${tasksFile}: has no tag "nope" (--tag nope); its tags are tm-start, cc-kiro-hooks, test-tag`);
  });
});
