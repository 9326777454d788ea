import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { initCommand, initProject, starterPlan } from '../../src/cli/commands/init.js';
import { loadPlan } from '../../src/plan/load.js';
import { REPO_ROOT, runCli } from '../support/cli.js';
import { runCommand } from '../support/command.js';
import { tempDir, writeFile } from '../support/tmp.js';

const SHIPPED = readdirSync(path.join(REPO_ROOT, '.claude/agents')).filter((n) => n.endsWith('.md')).sort();

describe('initProject', () => {
  it('writes a valid canonical plan and every shipped specialist into a new folder', async () => {
    const dir = path.join(tempDir(), 'my project');
    const result = await initProject(dir);
    expect(result.skipped).toEqual([]);
    expect(result.written).toEqual([path.join(dir, 'PROGRESS.json'), ...SHIPPED.map((n) => path.join(dir, '.claude/agents', n))]);
    for (const name of SHIPPED) {
      expect(readFileSync(path.join(dir, '.claude/agents', name), 'utf8')).toBe(readFileSync(path.join(REPO_ROOT, '.claude/agents', name), 'utf8'));
    }
    const doc = await loadPlan(dir);
    expect(doc.plan.shape).toBe('canonical');
    expect(doc.plan.name).toBe('my project');
    expect(doc.plan.id).toBe('my-project');
    expect(doc.plan.phases.flatMap((p) => p.tasks.map((t) => t.status))).toEqual(['pending', 'pending', 'pending']);
  });

  it('keeps existing files unless forced', async () => {
    const dir = tempDir();
    writeFile(dir, 'PROGRESS.json', { name: 'mine', phases: [] });
    writeFile(dir, '.claude/agents/l2-backend-specialist.md', 'my own backend specialist\n');
    const kept = await initProject(dir);
    expect(kept.skipped).toEqual([path.join(dir, 'PROGRESS.json'), path.join(dir, '.claude/agents/l2-backend-specialist.md')]);
    expect(kept.written).toHaveLength(SHIPPED.length - 1);
    expect(readFileSync(path.join(dir, '.claude/agents/l2-backend-specialist.md'), 'utf8')).toBe('my own backend specialist\n');
    expect(JSON.parse(readFileSync(path.join(dir, 'PROGRESS.json'), 'utf8'))).toEqual({ name: 'mine', phases: [] });

    const forced = await initProject(dir, { force: true, name: 'Forced' });
    expect(forced.skipped).toEqual([]);
    expect(forced.written).toHaveLength(SHIPPED.length + 1);
    expect(readFileSync(path.join(dir, '.claude/agents/l2-backend-specialist.md'), 'utf8')).toContain('name: l2-backend-specialist');
    expect((await loadPlan(dir)).plan.name).toBe('Forced');
  });

  it('puts the specialists at the git top level, where ccasp run looks for them', async () => {
    const repo = tempDir();
    mkdirSync(path.join(repo, '.git'));
    const result = await initProject(path.join(repo, 'plans', 'v1'));
    expect(result.planFile).toBe(path.join(repo, 'plans', 'v1', 'PROGRESS.json'));
    expect(result.agentsDir).toBe(path.join(repo, '.claude', 'agents'));
    expect(existsSync(path.join(repo, '.claude/agents/l2-general-specialist.md'))).toBe(true);
    expect(existsSync(path.join(repo, 'plans/v1/.claude'))).toBe(false);
  });

  it('writes the plan with one-line dependency lists, as hand-written plans have them', () => {
    const text = starterPlan('Demo "quoted"');
    expect(text).toContain('"dependencies": ["P1.1"]');
    expect(JSON.parse(text).name).toBe('Demo "quoted"');
    expect(text.endsWith('}\n')).toBe(true);
  });
});

describe('initCommand', () => {
  it('reports what it wrote, then what it kept (exit 0 both times)', async () => {
    const dir = tempDir();
    const first = await runCommand(initCommand, ['init', 'proj'], dir);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain(`✔ wrote ${path.join('proj', 'PROGRESS.json')}`);
    expect(first.stdout).toContain(`✔ wrote ${path.join('proj', '.claude', 'agents', 'l2-testing-specialist.md')}`);
    expect(first.stdout).toContain('`cd proj && ccasp validate . && ccasp run .`');
    mkdirSync(path.join(dir, '.git'));
    const inGit = await runCommand(initCommand, ['init', 'other'], dir);
    expect(inGit.stdout).toContain('check it with `ccasp validate other`, then `ccasp run other`.');
    expect(inGit.stdout).toContain(`✔ wrote ${path.join('.claude', 'agents', 'l2-testing-specialist.md')}`);

    const second = await runCommand(initCommand, ['init', 'proj'], dir);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(`· kept ${path.join('proj', 'PROGRESS.json')}: it exists (--force overwrites it)`);
    expect(second.stderr.trim().split('\n')).toHaveLength(SHIPPED.length + 1);
    expect(second.stdout).toBe('Nothing written: every file already exists.\n');
  });

  it('prints JSON with --json and uses the current folder by default', async () => {
    const dir = tempDir();
    const r = await runCommand(initCommand, ['init', '--json', '--name', 'Shop'], dir);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { planFile: string; agentsDir: string; written: string[]; skipped: string[] };
    expect(out.planFile).toBe('PROGRESS.json');
    expect(out.agentsDir).toBe(path.join('.claude', 'agents'));
    expect(out.written).toHaveLength(SHIPPED.length + 1);
    expect(out.skipped).toEqual([]);
    expect(JSON.parse(readFileSync(path.join(dir, 'PROGRESS.json'), 'utf8')).name).toBe('Shop');
  });

  it('refuses a path that is a file (exit 2)', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'taken'), 'x');
    const r = await runCommand(initCommand, ['init', 'taken'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a directory');
  });
});

// Spawns bin/ccasp: passes once main.ts registers initCommand and dist/ is rebuilt.
describe('ccasp init (CLI; needs main.ts wiring)', () => {
  it('writes a plan that ccasp validate accepts, then keeps it', async () => {
    const dir = tempDir();
    const r = await runCli(['init', 'app'], { cwd: dir });
    expect(r.code).toBe(0);
    const valid = await runCli(['validate', 'app'], { cwd: dir });
    expect(valid.code).toBe(0);
    expect(valid.stdout).toContain('valid canonical plan "app"');
    const again = await runCli(['init', 'app'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('kept');
  });
});
