import { readFileSync } from 'node:fs';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ndjsonLineSchema } from '../../src/orchestrator/event-schema.js';
import type { OrchestratorEvent } from '../../src/orchestrator/events.js';
import { scriptedAgent, type AgentStep } from '../support/agents.js';
import { runCli } from '../support/cli.js';
import { makeProject } from '../support/files.js';
import { runCliInPty } from '../support/pty.js';
import { tempDir } from '../support/tmp.js';
import { playScreen } from './render/screen.js';

/**
 * What `ccasp run` shows, through the built CLI with a scripted stand-in for claude: spinners in a
 * pseudo-terminal, plain stamped lines through a pipe or in CI, NDJSON that keeps to its schema with
 * `--json`, and the GitHub Actions step summary and annotations.
 */

const task = (id: string, file: string) => ({ id, title: `Make ${file}`, file, status: 'pending' });

const BLOCKED_REPORT = 'TASK_BLOCKED: T2\nBLOCKER: the STRIPE_KEY secret is not set\nSUGGESTED_ACTION: add STRIPE_KEY to .env';

/**
 * T1 is honest, T2 is blocked, and T3 (when asked for) claims work it did not do, is rejected, and
 * does it on the retry. With `slowMs`, each agent takes its time, so that spinners turn while they work.
 */
function blockedRun(withRetry: boolean, slowMs = 0): { dir: string; env: NodeJS.ProcessEnv } {
  const tasks = [task('T1', 'a.txt'), task('T2', 'b.txt'), ...(withRetry ? [task('T3', 'c.txt')] : [])];
  const dir = makeProject({ name: 'Output plan', phases: [{ id: 'P1', name: 'Only', tasks }] });
  const wait = (ms: number): AgentStep[] => (slowMs > 0 ? [{ sleep: ms }] : []);
  const agent = scriptedAgent({
    T1: [[...wait(slowMs), { write: 'a.txt' }, ...wait(slowMs / 2), { complete: {} }]],
    T2: [[...wait(slowMs / 2), { report: BLOCKED_REPORT }]],
    T3: [[{ complete: { artifacts: ['c.txt'], summary: 'trust me' } }], [...wait(slowMs), { write: 'c.txt' }, { complete: { summary: 'really' } }]],
  });
  return { dir, env: agent.env() };
}

function summaryFile(): string {
  return path.join(tempDir('ccasp-summary-'), 'step-summary.md');
}

const ESC = '\u001b';
const CURSOR_MOVES = /\u001b\[\d*[ABCDGHJK]|\u001b\[\?25[lh]/;
const SPINNER_FRAME = /[\u2800-\u28ff]/;
const STAMP = /^\d\d:\d\d:\d\d /;

describe('ccasp run output', () => {
  it('--json: every stdout line is an event that fits the schema, nothing else; people and GitHub get stderr', async () => {
    const { dir, env } = blockedRun(true);
    const summary = summaryFile();
    const r = await runCli(['run', 'plan', '--json', '--concurrency', '2'], { cwd: dir, env: { ...env, GITHUB_STEP_SUMMARY: summary } });
    expect(r.code, r.stderr).toBe(4);

    expect(r.stdout.endsWith('\n')).toBe(true);
    const lines = r.stdout.slice(0, -1).split('\n');
    const parsed = lines.map((line, i) => {
      const result = ndjsonLineSchema.safeParse(JSON.parse(line));
      expect(result.success, `line ${i + 1}: ${line}\n${result.error?.message ?? ''}`).toBe(true);
      return result.data!;
    });
    const events: OrchestratorEvent[] = parsed.map((p) => p.event);
    const times = parsed.map((p) => Date.parse(p.time));
    expect(times).toEqual([...times].sort((a, b) => a - b));

    const types = new Set(events.map((e) => e.type));
    for (const t of ['run.started', 'phase.started', 'task.started', 'task.progress', 'task.attempt.failed', 'task.completed', 'task.blocked', 'run.finished']) {
      expect(types, t).toContain(t);
    }
    expect(events[0]?.type).toBe('run.started');
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', outcome: 'blocked', completed: 2, total: 3 });

    // Live progress ends at the attempt's real usage, from the result line.
    const done = events.find((e): e is Extract<OrchestratorEvent, { type: 'task.completed' }> => e.type === 'task.completed' && e.taskId === 'T1')!;
    const progress = events.filter((e): e is Extract<OrchestratorEvent, { type: 'task.progress' }> => e.type === 'task.progress' && e.taskId === 'T1');
    const u = done.usage;
    expect(progress.at(-1)).toMatchObject({ attempt: 1, tokens: u.inputTokens + u.outputTokens + u.cacheCreationTokens + u.cacheReadTokens, toolCalls: 1 });

    expect(r.stderr).toMatch(/^\d\d:\d\d:\d\d ▶ Phase P1: Only$/m);
    expect(r.stderr).toMatch(/^::warning title=ccasp%3A task T2 is blocked::the STRIPE_KEY secret is not set%0AWhat to do: add STRIPE_KEY to \.env$/m);
    expect(readFileSync(summary, 'utf8')).toContain('| T2 | the STRIPE_KEY secret is not set | add STRIPE_KEY to .env |');
  });

  it('through a pipe: one plain stamped line per event, no escape codes, written as it happens', async () => {
    const { dir, env } = blockedRun(false);
    const r = await runCli(['run', 'plan', '--concurrency', '2'], { cwd: dir, env });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout + r.stderr).not.toContain(ESC);
    const lines = r.stdout.split('\n').filter(Boolean);
    for (const line of lines) expect(line).toMatch(STAMP);
    const once = (pattern: RegExp) => expect(lines.filter((l) => pattern.test(l)), String(pattern)).toHaveLength(1);
    once(/ Output plan: 1 phases, 2 tasks, concurrency 2$/);
    once(/ ▶ Phase P1: Only$/);
    once(/ {3}… T1 Make a\.txt \[l2-general-specialist, sonnet\]$/);
    once(/ {3}✔ T1 Make a\.txt \(\d+\.\ds, \$\d\.\d{4}\) — wrote a\.txt$/);
    once(/ {3}⚠ T2 blocked: the STRIPE_KEY secret is not set → add STRIPE_KEY to \.env$/);
    once(/ ⚠ Run stopped: tasks are blocked: /);
  });

  it('in GitHub Actions: annotations on stdout, a Markdown step summary, colour only when forced, never cursor movement', async () => {
    const { dir, env } = blockedRun(false);
    const summary = summaryFile();
    const r = await runCli(['run', 'plan'], { cwd: dir, env: { ...env, CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, FORCE_COLOR: '1' } });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout).toMatch(/\u001b\[3\dm/);
    expect(r.stdout).not.toMatch(CURSOR_MOVES);
    expect(r.stdout).toMatch(/^::warning title=ccasp%3A task T2 is blocked::the STRIPE_KEY secret is not set%0AWhat to do: add STRIPE_KEY to \.env$/m);
    const md = readFileSync(summary, 'utf8');
    expect(md).toMatch(/^## ⚠️ ccasp: Output plan\n\n\*\*Run stopped: tasks are blocked:\*\* phase P1 cannot go on/);
    expect(md).toContain('| Tasks | 1 of 2 done · 1 blocked · 0 failed · 0 to do |');
    expect(md).toMatch(/\| T1 Make a\.txt \| ✅ done \| 1 \| \d+\.\ds \| [\d,]+ \| \$\d\.\d{4} \|/);
    expect(md).toContain('| T2 | the STRIPE_KEY secret is not set | add STRIPE_KEY to .env |');
    expect(md).toContain('**Next:** Deal with each blocker');
  });

  it('on a terminal with CI set: the plain lines, and NO_COLOR leaves no escape code at all', async () => {
    const { dir, env } = blockedRun(false);
    const r = await runCliInPty(['run', 'plan'], { cwd: dir, env: { ...env, TERM: 'xterm-256color', CI: '1', NO_COLOR: '1' } });
    expect(r.code, r.raw).toBe(4);
    expect(r.raw).not.toContain(ESC);
    for (const line of r.raw.split('\r\n').filter(Boolean)) expect(line).toMatch(STAMP);
  });

  it('on a terminal: a spinner per running agent, a line per finished task and a summary table on a clean screen', async () => {
    const { dir, env } = blockedRun(true, 600);
    const columns = 110;
    const r = await runCliInPty(['run', 'plan', '--concurrency', '2'], { cwd: dir, env: { ...env, TERM: 'xterm-256color' }, columns });
    expect(r.code, r.raw).toBe(4);

    // Drawn, not printed: spinner frames, the cursor hidden and shown again, lines cleared in place.
    expect(r.raw).toMatch(SPINNER_FRAME);
    expect(r.raw).toContain('\u001b[?25l');
    expect(r.raw.lastIndexOf('\u001b[?25h')).toBeGreaterThan(r.raw.lastIndexOf('\u001b[?25l'));
    expect(r.raw).toMatch(/\u001b\[1A/);
    expect(r.raw).toMatch(/\u001b\[0?K/);
    const drawn = stripVTControlCharacters(r.raw);
    expect(drawn).toMatch(/Phase P1 Only · 2 agents running · 0 done · /);
    expect(drawn).toMatch(/[\u2800-\u28ff] T1 {2}l2-general-specialist · sonnet {2}0:0\d {2}0 tokens {2}0 tool calls {2}Make a\.txt/);
    // Tokens and tool calls so far, while the agent is still at work.
    expect(drawn).toMatch(/[\u2800-\u28ff] T1 {2}l2-general-specialist · sonnet {2}\d:\d\d {2}[1-9][\d.]*k? tokens {2}1 tool call {2}Make a\.txt/);
    expect(drawn).toMatch(/[\u2800-\u28ff] T3 {2}l2-general-specialist · sonnet · attempt 2 {2}/);

    // What is left on the screen: the permanent lines and the table, and nothing of the spinners.
    const screen = playScreen(r.raw, columns);
    const shown = screen.join('\n');
    expect(shown).not.toMatch(SPINNER_FRAME);
    expect(shown).not.toContain('agents running');
    const once = (pattern: RegExp) => expect(screen.filter((l) => pattern.test(l)), `${String(pattern)}\n${shown}`).toHaveLength(1);
    once(/^Output plan: 1 phases, 3 tasks, concurrency 2$/);
    once(/^▶ Phase P1: Only$/);
    once(/^ {2}✔ T1 Make a\.txt \d+\.\ds · \$\d\.\d{4} · [\d,]+ tokens — wrote a\.txt$/);
    once(/^ {2}✖ T3 attempt 1 rejected after \d+\.\ds: claimed completion, but these files do not exist: c\.txt — retrying$/);
    once(/^ {2}⚠ T2 blocked after \d+\.\ds: the STRIPE_KEY secret is not set → add STRIPE_KEY to \.env$/);
    once(/^⚠ Run stopped: tasks are blocked: phase P1 cannot go on/);
    once(/^ {2}Task {2}Status +Attempts {2}Time {2}Tokens +Cost {2}Title$/);
    once(/^ {2}T1 {4}✔ done +1 {2}\d+\.\ds +[\d,]+ {2}\$\d\.\d{4} {2}Make a\.txt$/);
    once(/^ {2}T3 {4}✔ done +2 /);
    once(/^ {2}T2 {4}⚠ blocked +1 /);
    once(/^ {2}Tasks {3}2 of 3 done · 1 blocked · 0 failed · 0 to do$/);
    once(/^ {2}Agents {2}4 agents spawned · 1 retry · 2 at once$/);
    once(/^ {4}T2 {2}the STRIPE_KEY secret is not set$/);
    once(/^ {8}→ add STRIPE_KEY to \.env$/);
    once(/^ {2}Next: Deal with each blocker/);
  });
});
