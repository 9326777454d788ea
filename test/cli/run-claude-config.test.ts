import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scriptedAgent } from '../support/agents.js';
import { runCli } from '../support/cli.js';
import { makeProject, taskStatuses } from '../support/files.js';
import { tempDir, writeFile } from '../support/tmp.js';

/** `ccasp run` and claude's settings file (~/.claude.json, here in CLAUDE_CONFIG_DIR), which every agent shares. */

const GOOD = '{\n  "numStartups": 3\n}\n';
const BACKUP = '.claude.json.backup.1796000000000';

function project(): string {
  return makeProject({ name: 'Config', phases: [{ id: 'P1', name: 'Only', tasks: [{ id: 'T1', title: 'Make a', file: 'src/a.js', status: 'pending' }] }] });
}

function claudeHome(text: string): string {
  const dir = tempDir('ccasp-claude-config-');
  writeFile(dir, '.claude.json', text);
  writeFile(dir, path.join('backups', BACKUP), GOOD);
  return dir;
}

describe("ccasp run and claude's settings file", () => {
  it('refuses to start agents on a broken file, which it leaves as it is', async () => {
    const dir = project();
    const home = claudeHome('{\n  "numSt');
    const agent = scriptedAgent();
    const r = await runCli(['run', 'plan'], { cwd: dir, env: agent.env({ CLAUDE_CONFIG_DIR: home }) });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain(`claude's settings file ${path.join(home, '.claude.json')} is not valid JSON`);
    expect(r.stderr).toContain(`cp "${path.join(home, 'backups', BACKUP)}" "${path.join(home, '.claude.json')}"`);
    expect(agent.starts()).toEqual([]);
    expect(existsSync(path.join(dir, '.claude', 'orchestrator'))).toBe(false);
    expect(readFileSync(path.join(home, '.claude.json'), 'utf8')).toBe('{\n  "numSt');
  });

  it('says at the end when an agent broke it, and how to restore it', async () => {
    const dir = project();
    const home = claudeHome(GOOD);
    const agent = scriptedAgent({ T1: [[{ write: path.join(home, '.claude.json'), content: '{"numSt' }, { write: 'src/a.js' }, { complete: { artifacts: ['src/a.js'] } }]] });
    const r = await runCli(['run', 'plan', '--json'], { cwd: dir, env: agent.env({ CLAUDE_CONFIG_DIR: home }) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(taskStatuses(dir)).toEqual({ T1: 'completed' });
    const notices = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { type: string; level?: string; message?: string })
      .filter((e) => e.type === 'run.notice' && e.level === 'warning');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.message).toContain(`claude's settings file ${path.join(home, '.claude.json')} became invalid during this run`);
    expect(notices[0]!.message).toContain(`cp "${path.join(home, 'backups', BACKUP)}" "${path.join(home, '.claude.json')}"`);
  });

  it('says nothing when agents leave it whole', async () => {
    const dir = project();
    const home = claudeHome(GOOD);
    const r = await runCli(['run', 'plan'], { cwd: dir, env: scriptedAgent().env({ CLAUDE_CONFIG_DIR: home }) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('settings file');
  });
});
