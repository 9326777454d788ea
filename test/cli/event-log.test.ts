import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ndjsonLineSchema } from '../../src/orchestrator/event-schema.js';
import { scriptedAgent } from '../support/agents.js';
import { runCli } from '../support/cli.js';
import { makeProject, orchestratorDir } from '../support/files.js';

/** `.claude/orchestrator/events.jsonl`: the run's `--json` events on disk, one run's at a time. */

const eventsFile = (project: string): string => path.join(orchestratorDir(project), 'events.jsonl');

function project(): string {
  const task = (id: string, file: string) => ({ id, title: `Make ${file}`, file, status: 'pending' });
  return makeProject({ name: 'Events plan', phases: [{ id: 'P1', name: 'Only', tasks: [task('T1', 'a.txt'), task('T2', 'b.txt')] }] });
}

const withoutTime = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => ndjsonLineSchema.parse(JSON.parse(line)).event);

describe('events.jsonl', () => {
  it('holds the events --json prints, each a whole line that fits the schema', async () => {
    const dir = project();
    const r = await runCli(['run', 'plan', '--json'], { cwd: dir, env: scriptedAgent().env() });
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(eventsFile(dir), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(withoutTime(text)).toEqual(withoutTime(r.stdout));
    expect(withoutTime(text).map((e) => e.type)).toContain('run.finished');
  });

  it("holds the last run's events only: a new run starts it afresh", async () => {
    const dir = project();
    const agent = scriptedAgent();
    expect((await runCli(['run', 'plan'], { cwd: dir, env: agent.env() })).code).toBe(0);
    expect((await runCli(['run', 'plan', '--fresh'], { cwd: dir, env: agent.env() })).code).toBe(0);
    const events = withoutTime(readFileSync(eventsFile(dir), 'utf8'));
    expect(events.filter((e) => e.type === 'run.started')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'run.finished')).toHaveLength(1);
  });

  it('a folder in its place stops the run before anything starts, naming it', async () => {
    const dir = project();
    mkdirSync(eventsFile(dir), { recursive: true });
    const agent = scriptedAgent();
    const r = await runCli(['run', 'plan'], { cwd: dir, env: agent.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('events.jsonl');
    expect(agent.starts()).toEqual([]);
  });
});
