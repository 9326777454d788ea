import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { scriptedAgent } from '../support/agents.js';
import { dashboardAddress, openBrowser, openPage } from '../support/browser.js';
import { startCli } from '../support/cli.js';
import { makeProject, readStateJson, taskStatuses } from '../support/files.js';

/**
 * The dashboard in a real headless Chromium, against a real `ccasp run` with the scripted stand-in
 * for claude: tasks change colour as the run goes, the figures are state.json's, and nothing is
 * served without the token.
 */

const task = (id: string, file: string, dependencies: string[] = []) => ({ id, title: `Make ${file}`, file, status: 'pending', dependencies });
const PLAN = {
  name: 'Browser plan',
  phases: [
    { id: 'P1', name: 'Base', tasks: [task('T1', 'a.txt'), task('T2', 'b.txt', ['T1'])] },
    { id: 'P2', name: 'Top', tasks: [task('T3', 'c.txt', ['T2'])] },
  ],
};

const statusOf = (page: Page, id: string) => page.locator(`g.task[data-task="${id}"]`).getAttribute('data-status');
const waitStatus = (page: Page, id: string, status: string) => page.waitForSelector(`g.task[data-task="${id}"][data-status="${status}"]`, { state: 'attached' });

describe('the dashboard in a browser', () => {
  it('shows a run live, then the finished run with the figures of state.json; without the token nothing', async () => {
    const dir = makeProject(PLAN);
    // Each agent waits for the test's go, so that the page is seen showing it at work.
    const agent = scriptedAgent({
      T1: [[{ await: 'T1' }, { write: 'a.txt' }, { complete: {} }]],
      T2: [[{ write: 'b.txt' }, { await: 'T2' }, { complete: {} }]],
      T3: [[{ await: 'T3' }, { write: 'c.txt' }, { complete: {} }]],
    });
    const run = startCli(['run', 'plan', '--dashboard'], { cwd: dir, env: agent.env() });
    const url = await dashboardAddress(run.stderr);
    expect((await fetch(url.replace(/\?token=.*/, ''))).status).toBe(403);

    const browser = await openBrowser();
    const page = await openPage(browser, url);
    await page.waitForSelector('#run-state[data-state="running"]');
    expect(await page.locator('#plan-name').textContent()).toBe('Browser plan');
    expect(await page.locator('g.phase').count()).toBe(2);
    expect(await page.locator('path.edge').count()).toBe(2);
    await waitStatus(page, 'T1', 'running');
    expect(await statusOf(page, 'T2')).toBe('pending');
    expect(await statusOf(page, 'T3')).toBe('pending');
    agent.release('T1');
    await waitStatus(page, 'T1', 'completed');
    await waitStatus(page, 'T2', 'running');
    expect(await page.locator('#active-agents').getAttribute('data-value')).toBe('1');
    // The running agent's transcript streams into the side panel.
    await page.click('g.task[data-task="T2"]');
    await page.locator('#transcript', { hasText: 'Write' }).waitFor();
    agent.release('T2');
    // Once the agent is done, the panel reads its transcript to the end.
    await waitStatus(page, 'T2', 'completed');
    await page.locator('#transcript', { hasText: 'TASK_COMPLETE: T2' }).waitFor();
    agent.release('T3');
    expect((await run.done).code, run.stderr()).toBe(0);

    // The finished run, from another terminal.
    const dashboard = startCli(['dashboard', 'plan'], { cwd: dir });
    const finished = await openPage(browser, await dashboardAddress(dashboard.stdout));
    await finished.waitForSelector('#run-state[data-state="finished"]');
    const state = readStateJson(dir);
    expect(Number(await finished.locator('#tokens').getAttribute('data-value'))).toBe(state.tokenBudget.used);
    expect(Number(await finished.locator('#cost').getAttribute('data-value'))).toBe(state.tokenBudget.costUsd);
    expect(Number(await finished.locator('#tasks-done').getAttribute('data-value'))).toBe(state.completedTasks.length);
    for (const [id, status] of Object.entries(taskStatuses(dir))) expect(await statusOf(finished, id)).toBe(status);
    expect(await finished.locator('g.phase[data-phase="P1"] .phase-name').textContent()).toMatch(/^P1 · Base · 2\/2 done · /);

    await finished.click('g.task[data-task="T1"]');
    await finished.waitForSelector('#transcript');
    expect(await finished.locator('#transcript').textContent()).toContain('TASK_COMPLETE: T1');
    dashboard.child.kill('SIGINT');
    expect((await dashboard.done).code).toBe(0);
  });
});
