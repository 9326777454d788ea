import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { discoverPlan, resolvePlanArgument } from '../../src/plan/discover.js';
import { loadPlan } from '../../src/plan/load.js';
import { tempDir, writeFile } from '../support/tmp.js';

const PLAN = { name: 'p', phases: [] };

function project(files: readonly string[]): string {
  const dir = tempDir();
  mkdirSync(path.join(dir, '.git'));
  for (const f of files) writeFile(dir, f, PLAN);
  return dir;
}

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('discovering CCASP plans', () => {
  for (const where of ['.claude/phase-dev/checkout', '.claude/docs/checkout', '.claude/phase-plans/checkout']) {
    it(`finds the only PROGRESS.json under ${where}`, () => {
      const dir = project([`${where}/PROGRESS.json`]);
      expect(discoverPlan(dir)).toBe(path.join(dir, where, 'PROGRESS.json'));
    });
  }

  for (const where of ['.claude/roadmaps/shop', '.claude/phase-plans/shop']) {
    it(`finds a roadmap's only phase file under ${where}, ignoring ROADMAP.json`, () => {
      const dir = project([`${where}/phase-1.json`, `${where}/ROADMAP.json`]);
      expect(discoverPlan(path.join(dir, 'src'))).toBe(path.join(dir, where, 'phase-1.json'));
    });
  }

  it('lists every phase file rather than guess', () => {
    const dir = project(['.claude/roadmaps/shop/phase-1.json', '.claude/roadmaps/shop/phase-2.json', '.claude/roadmaps/shop/ROADMAP.json']);
    const message = usageError(() => discoverPlan(dir));
    expect(message).toContain('Several plans found');
    expect(message).toContain(path.join('.claude', 'roadmaps', 'shop', 'phase-1.json'));
    expect(message).toContain(path.join('.claude', 'roadmaps', 'shop', 'phase-2.json'));
    expect(message).not.toContain('ROADMAP.json');
  });

  it("ignores the copies of the plan in task worktrees (ccasp's and Claude Code's own)", () => {
    const dir = project(['.claude/phase-dev/x/PROGRESS.json', '.claude/worktrees/ccasp/T1/.claude/phase-dev/x/PROGRESS.json', '.claude/worktrees/feature/PROGRESS.json']);
    expect(discoverPlan(dir)).toBe(path.join(dir, '.claude/phase-dev/x/PROGRESS.json'));
  });

  it('ignores phase-N.json files outside roadmap folders', () => {
    const dir = project(['.claude/phase-dev/x/PROGRESS.json', '.claude/other/phase-1.json', '.claude/roadmaps/phase-1.json']);
    expect(discoverPlan(dir)).toBe(path.join(dir, '.claude/phase-dev/x/PROGRESS.json'));
  });

  it('explains a roadmap directory given as the plan, listing its phase files', () => {
    const dir = project(['.claude/roadmaps/shop/phase-2.json', '.claude/roadmaps/shop/phase-10.json', '.claude/roadmaps/shop/phase-1.json']);
    const roadmap = path.join(dir, '.claude/roadmaps/shop');
    const message = usageError(() => resolvePlanArgument(roadmap, dir));
    expect(message).toMatch(/has no PROGRESS\.json; it holds a roadmap's phase plans/);
    expect(message).toContain('  phase-1.json\n  phase-2.json\n  phase-10.json');
    expect(usageError(() => discoverPlan(roadmap))).toBe(message);
  });

  it('resolves a plan argument otherwise as before', async () => {
    const dir = project(['plan/PROGRESS.json', '.claude/roadmaps/shop/phase-1.json']);
    expect(resolvePlanArgument('plan', dir)).toBe(path.join(dir, 'plan', 'PROGRESS.json'));
    expect(resolvePlanArgument('plan/PROGRESS.json', dir)).toBe('plan/PROGRESS.json');
    expect(resolvePlanArgument('missing', dir)).toBe('missing');
    expect(resolvePlanArgument(path.join(dir, '.claude/roadmaps/shop'), dir)).toBe(path.join(dir, '.claude/roadmaps/shop/phase-1.json'));
    expect(resolvePlanArgument(undefined, path.join(dir, 'plan'))).toBe(path.join(dir, 'plan', 'PROGRESS.json'));
    expect((await loadPlan(path.join(dir, 'plan'))).plan.name).toBe('p');
  });
});
