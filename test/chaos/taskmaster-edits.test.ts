import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scriptedAgent } from '../support/agents.js';
import { startCli } from '../support/cli.js';
import { readStateJson } from '../support/files.js';
import { tempDir, writeFile } from '../support/tmp.js';
import { until } from '../support/until.js';
import { chaosOptions, unchanged } from './support.js';

interface TasksJson {
  tasks: { id: number; status: string; subtasks?: { id: number; status: string }[] }[];
}

/**
 * A person using Task Master while ccasp runs its tasks: `task-master set-status` rewrites
 * tasks.json whole (JSON.stringify, two spaces) while an agent works. ccasp must take the edit, not
 * run what was cancelled, and keep it in every later write.
 */
describe('Task Master edits during a run', () => {
  it('takes a subtask cancelled with task-master set-status and keeps it', async () => {
    const root = path.join(tempDir('ccasp-chaos-taskmaster-'), 'project');
    mkdirSync(path.join(root, '.git'), { recursive: true });
    // The sample tasks under a tag of their own, beside a master tag, as Task Master keeps tags; Task
    // Master is on master, so every read of the file during the run must keep to --tag.
    const sample = JSON.parse(readFileSync(new URL('../fixtures/plans/taskmaster/legacy/tasks.json', import.meta.url), 'utf8')) as TasksJson;
    const metadata = { created: '2025-06-14T21:30:21.214Z', updated: '2025-06-14T21:31:06.388Z', description: 'Tag created on 6/14/2025' };
    const tagged = { master: { tasks: [], metadata }, feature: { tasks: sample.tasks, metadata } };
    const tasksFile = writeFile(root, '.taskmaster/tasks/tasks.json', JSON.stringify(tagged, null, 2));
    writeFile(root, '.taskmaster/state.json', JSON.stringify({ currentTag: 'master', lastSwitched: '2025-06-14T21:31:06.388Z', branchTagMapping: {}, migrationNoticeShown: true }, null, 2));
    const agent = scriptedAgent({ '2.2': [[{ sleep: 2000 }, { complete: {} }]] });
    const run = startCli(['run', '.', '--tag', 'feature', '--json', '--no-github'], { ...chaosOptions(root), env: agent.env() });
    await until(() => readStateJson(root).activeAgents.find((a) => a.taskId === '2.2' && a.pid !== undefined), 'the agent for 2.2 at work');
    await unchanged(tasksFile);

    // What `task-master set-status --id=3.1 --status=cancelled` does to the file.
    const json = JSON.parse(readFileSync(tasksFile, 'utf8')) as Record<string, TasksJson>;
    const feature = json.feature!;
    expect(feature.tasks[1]!.subtasks![1]!.status).toBe('in-progress');
    feature.tasks[2]!.subtasks![0]!.status = 'cancelled';
    writeFileSync(tasksFile, JSON.stringify(json, null, 2));

    const result = await run.done;
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(agent.starts().map((s) => s.taskId)).toEqual(['2.2', '3.2']);
    const after = (JSON.parse(readFileSync(tasksFile, 'utf8')) as Record<string, TasksJson>).feature!;
    expect(after.tasks.map((t) => [t.status, ...(t.subtasks ?? []).map((s) => s.status)])).toEqual([['done'], ['done', 'done', 'done'], ['done', 'cancelled', 'done']]);
  });
});
