import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { makeProject, taskStatuses } from '../support/files.js';
import { tempDir, writeFile } from '../support/tmp.js';
import { honestAgent, runEnv, scriptedApi, taskMarker } from './harness.js';

/**
 * Eight real claude processes at once (`--concurrency 8`) sharing one settings file, as a user's
 * agents share ~/.claude.json. The file holds the user's keys but none of the ones claude adds on
 * its first start, so every agent writes it at about the same moment (docs/claude-config.md).
 */

const TASKS = Array.from({ length: 8 }, (_, i) => `T${i + 1}`);
const USER_SETTINGS = { numStartups: 41, hasCompletedOnboarding: true, mcpServers: { notes: { command: 'notes-server' } }, projects: { '/elsewhere': { allowedTools: ['Bash(ls)'] } } };

describe("eight agents at once and claude's settings file", () => {
  it('leave it valid JSON at every moment, with the user settings kept', async () => {
    const dir = makeProject({ name: 'Parallel', phases: [{ id: 'P1', name: 'Only', tasks: TASKS.map((id) => ({ id, title: `Make ${id}`, file: `src/${id}.js`, status: 'pending' })) }] });
    const api = await scriptedApi(Object.fromEntries(TASKS.map((id) => [taskMarker(id), honestAgent(id, [`src/${id}.js`])])));
    const home = tempDir('ccasp-claude-config-');
    const file = writeFile(home, '.claude.json', USER_SETTINGS);

    const run = runCli(['run', 'plan', '--concurrency', '8'], { cwd: dir, env: runEnv(api.url, { CLAUDE_CONFIG_DIR: home }) });
    let ended = false;
    const reads = new Set<string>();
    void run.finally(() => (ended = true));
    while (!ended) {
      const text = readFileSync(file, 'utf8');
      expect(() => JSON.parse(text), text).not.toThrow();
      reads.add(text);
      await sleep(2);
    }
    const r = await run;

    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(api.scriptErrors).toEqual([]);
    expect(taskStatuses(dir)).toEqual(Object.fromEntries(TASKS.map((id) => [id, 'completed'])));
    // The agents did write it while it was being read.
    expect(reads.size).toBeGreaterThan(2);
    const after = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(after).toMatchObject(USER_SETTINGS);
    expect(after['migrationVersion']).toBeDefined();
    expect(readdirSync(path.join(home, 'backups')).filter((name) => name.includes('.corrupted.'))).toEqual([]);
    expect(r.stdout + r.stderr).not.toContain('settings file');
  });
});
