import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { authorPlan, correctionPrompt, PlanAuthorError, planPrompt, type PlanAnswer } from '../../src/agents/plan-author.js';
import { checkAuthoredPlan } from '../../src/agents/plan-schema.js';
import { ExitCode } from '../../src/errors.js';
import { tempDir } from '../support/tmp.js';

const task = (id: string, dependencies: string[] = []) => ({ id, title: `Build ${id}`, file: `src/${id}.js`, dependencies });
const draft = (dependency: string) => ({
  name: 'Greeter',
  phases: [{ id: 'P1', name: 'Core', tasks: [task('P1.1'), task('P1.2', [dependency])] }],
});
const BRIEF = 'A greeter that says hello.';

/** claude as a list of answers, one per ask, and the prompts it was given. */
function claude(answers: readonly PlanAnswer[]) {
  const prompts: string[] = [];
  return {
    prompts,
    ask: async (prompt: string): Promise<PlanAnswer> => {
      prompts.push(prompt);
      const answer = answers[prompts.length - 1];
      if (!answer) throw new Error(`asked ${prompts.length} times, scripted ${answers.length}`);
      return answer;
    },
  };
}

describe('authorPlan: a draft, checked, and corrected until it passes', () => {
  let root = '';
  const check = (value: unknown) => checkAuthoredPlan(value, path.join(root, 'PROGRESS.json'));
  beforeEach(() => {
    root = tempDir('ccasp-plan-author-');
  });

  it('takes a valid first draft as it is', async () => {
    const c = claude([{ ok: true, value: draft('P1.1') }]);
    const written = await authorPlan(BRIEF, root, { ask: c.ask, check });
    expect(written.tries).toBe(1);
    expect(JSON.parse(written.text)).toMatchObject({ name: 'Greeter', phases: [{ tasks: [{ status: 'pending' }, { status: 'pending' }] }] });
    expect(c.prompts).toEqual([planPrompt(BRIEF, root)]);
    expect(c.prompts[0]).toContain(BRIEF);
    expect(c.prompts[0]).toContain(root);
  });

  it('sends every problem of an invalid draft back and takes the corrected one', async () => {
    const c = claude([
      { ok: true, value: draft('P9.9') },
      { ok: true, value: draft('P1.1') },
    ]);
    const told: [readonly string[], number][] = [];
    const written = await authorPlan(BRIEF, root, { ask: c.ask, check, onProblems: (problems, next) => told.push([problems, next]) });
    expect(written.tries).toBe(2);
    expect(JSON.parse(written.text).phases[0].tasks[1].dependencies).toEqual(['P1.1']);
    expect(told).toEqual([[[expect.stringMatching(/^phases\[0\]\.tasks\[1\]\.dependencies\[0\]: .*P9\.9/)], 2]]);
    expect(c.prompts[1]).toBe(correctionPrompt(told[0]![0]));
    expect(c.prompts[1]).toContain('P9.9');
  });

  it('gives up after the tries with the last problems, and asks no more', async () => {
    const c = claude([
      { ok: true, value: draft('P9.9') },
      { ok: true, value: draft('P8.8') },
      { ok: true, value: draft('P7.7') },
    ]);
    const failure = await authorPlan(BRIEF, root, { ask: c.ask, check }, 3).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PlanAuthorError);
    expect((failure as PlanAuthorError).exitCode).toBe(ExitCode.phaseFailed);
    expect((failure as PlanAuthorError).message).toMatch(/still invalid after 3 tries; nothing was written[\s\S]*P7\.7/);
    expect(c.prompts).toHaveLength(3);
  });

  it('stops at once when claude hands in nothing', async () => {
    const c = claude([{ ok: false, message: 'claude ended without handing in a plan' }]);
    await expect(authorPlan(BRIEF, root, { ask: c.ask, check })).rejects.toThrow('claude wrote no plan: claude ended without handing in a plan');
    expect(c.prompts).toHaveLength(1);
  });
});
