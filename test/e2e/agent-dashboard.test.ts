import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dashboardAddress, openBrowser, openPage } from '../support/browser.js';
import { startCli } from '../support/cli.js';
import { makeProject, readStateJson } from '../support/files.js';
import { completionReport, text, turn, writeTool } from '../support/scripted-api.js';
import { runEnv, scriptedApi, taskMarker } from './harness.js';

/** `ccasp run --dashboard` with the real claude binary (scripted API), seen in headless Chromium. */
describe('the dashboard of a run of the real claude binary', () => {
  it("shows the agent running, its transcript as it streams, and the run's figures once it is done", async () => {
    const dir = makeProject({ name: 'Claude dashboard', phases: [{ id: 'P1', name: 'Only', tasks: [{ id: 'T1', title: 'Make a', file: 'src/a.js', status: 'pending' }] }] });
    let go: () => void = () => undefined;
    const seen = new Promise<void>((resolve) => (go = resolve));
    const api = await scriptedApi({
      [taskMarker('T1')]: (_req, ctx) =>
        ctx.turn === 0
          ? turn(writeTool(path.join(ctx.cwd!, 'src/a.js'), 'export const a = 1;\n'))
          : turn(text(completionReport({ taskId: 'T1', artifacts: ['src/a.js'], summary: 'wrote src/a.js' })), { after: seen }),
    });
    const run = startCli(['run', 'plan', '--dashboard'], { cwd: dir, env: runEnv(api.url) });
    const page = await openPage(await openBrowser(), await dashboardAddress(run.stderr));
    await page.waitForSelector('g.task[data-task="T1"][data-status="running"]', { state: 'attached' });
    await page.click('g.task[data-task="T1"]');
    await page.locator('#transcript', { hasText: 'Write src/a.js' }).waitFor();
    go();
    await page.waitForSelector('g.task[data-task="T1"][data-status="completed"]', { state: 'attached' });
    await page.waitForSelector('#run-state:not([data-state="running"])');
    const tokens = Number(await page.locator('#tokens').getAttribute('data-value'));
    expect((await run.done).code, run.stderr()).toBe(0);
    expect(api.scriptErrors).toEqual([]);
    expect(tokens).toBe(readStateJson(dir).tokenBudget.used);
  });
});
