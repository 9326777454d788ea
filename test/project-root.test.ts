import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../src/plan/load.js';
import { findProjectRoot } from '../src/project-root.js';
import { tempDir, writeFile } from './support/tmp.js';

const PLAN = { name: 'p', phases: [] };

/** The root `ccasp run` would use for the plan named by `arg`. */
async function rootOf(arg: string): Promise<string> {
  return findProjectRoot(path.dirname((await loadPlan(arg)).file));
}

describe('findProjectRoot', () => {
  it('is the git top level holding the folder, even below a .claude folder', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, '.git'));
    mkdirSync(path.join(dir, 'sub', '.claude', 'phase-dev', 'x'), { recursive: true });
    expect(findProjectRoot(path.join(dir, 'sub', '.claude', 'phase-dev', 'x'))).toBe(dir);
  });

  it('outside git, is the folder above the nearest .claude folder holding the plan', () => {
    const dir = tempDir();
    const plan = path.join(dir, 'shop', '.claude', 'phase-dev', 'checkout');
    mkdirSync(plan, { recursive: true });
    expect(findProjectRoot(plan)).toBe(path.join(dir, 'shop'));
    expect(findProjectRoot(path.join(dir, 'shop', '.claude'))).toBe(path.join(dir, 'shop'));
  });

  it('outside git, is the folder above .taskmaster for Task Master tasks', () => {
    const dir = tempDir();
    const tasks = path.join(dir, 'shop', '.taskmaster', 'tasks');
    mkdirSync(tasks, { recursive: true });
    expect(findProjectRoot(tasks)).toBe(path.join(dir, 'shop'));
  });

  it("outside git and .claude, is the plan's own folder", () => {
    const dir = tempDir();
    expect(findProjectRoot(path.join(dir, 'plan'))).toBe(path.join(dir, 'plan'));
  });

  it('gives one root for every way of naming one plan outside git: folder, file, relative, through a symlink', async () => {
    const dir = tempDir();
    const plan = path.join(dir, 'shop', '.claude', 'phase-dev', 'checkout');
    writeFile(plan, 'PROGRESS.json', PLAN);
    symlinkSync(plan, path.join(dir, 'link'));
    const names = [plan, path.join(plan, 'PROGRESS.json'), path.relative(process.cwd(), plan), path.join(dir, 'shop', 'x', '..', '.claude', 'phase-dev', 'checkout'), path.join(dir, 'link')];
    for (const name of names) expect(await rootOf(name), name).toBe(path.join(dir, 'shop'));
  });

  it('gives one root for a plan named through a symlink into a git project', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'repo', '.git'), { recursive: true });
    writeFile(path.join(dir, 'repo', 'plan'), 'PROGRESS.json', PLAN);
    symlinkSync(path.join(dir, 'repo', 'plan'), path.join(dir, 'link'));
    expect(await rootOf(path.join(dir, 'link'))).toBe(path.join(dir, 'repo'));
  });
});
