import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../../src/cli/io.js';
import { createRunOutput } from '../../../src/cli/render/run-output.js';
import { attachRenderers, recordingRenderer } from '../../../src/cli/render/renderer.js';
import { eventLine, ndjsonRenderer, plainRenderer } from '../../../src/cli/render/run-lines.js';
import { ndjsonLineSchema } from '../../../src/orchestrator/event-schema.js';
import { EventBus } from '../../../src/orchestrator/events.js';
import { Chalk } from 'chalk';
import { tempDir } from '../../support/tmp.js';
import { sampleRun } from './events.js';

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.setEncoding('utf8').on('data', (d: string) => (text += d));
  return { stream, text: () => text };
}

function fakeIo(env: NodeJS.ProcessEnv): { io: Io; out: () => string; err: () => string } {
  const out = sink();
  const err = sink();
  return { io: { stdout: out.stream, stderr: err.stream, env, cwd: '/' }, out: out.text, err: err.text };
}

async function play(io: Io, json: boolean): Promise<void> {
  const output = await createRunOutput(io, { json, color: undefined });
  const bus = new EventBus();
  output.attach(bus);
  for (const e of sampleRun) bus.emit(e);
  output.end();
}

const plain = new Chalk({ level: 0 });
const at = (iso: string) => () => new Date(iso);

describe('line renderers', () => {
  it('plain: one line per event worth one, each stamped with the time, nothing for live progress', () => {
    const out = sink();
    const r = plainRenderer(out.stream, plain, at('2030-01-02T03:04:05.000Z'));
    for (const e of sampleRun) r.onEvent(e);
    const lines = out.text().split('\n').filter(Boolean);
    for (const line of lines) expect(line).toMatch(/^03:04:05 /);
    expect(lines.filter((l) => l.includes('T1 attempt') || l.includes('✔ T1'))).toHaveLength(1);
    expect(out.text()).not.toContain('progress');
    expect(lines).toContain("03:04:05   ↻ T2 attempt 2 continues attempt 1's session (cut off: timed-out), saving 4,200 tokens");
    expect(lines).toContain('03:04:05   1/3 tasks done, 3 agents (2 at once), 140 tokens (4,200 saved by resuming cut-off sessions), $0.0123, 1m05s');
    expect(eventLine(sampleRun.find((e) => e.type === 'task.progress')!, plain)).toBeUndefined();
    expect(out.text()).not.toMatch(/\u001b/);
    expect(lines).toContain('03:04:05   ⊘ T2 attempt 1: claude denied Bash "npm install left-pad"; allow it with Bash(npm install:*)');
  });

  it('ndjson: every event, one valid object per line, with its time', () => {
    const out = sink();
    const r = ndjsonRenderer(out.stream, at('2030-01-02T03:04:05.000Z'));
    for (const e of sampleRun) r.onEvent(e);
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(sampleRun.length);
    lines.forEach((line, i) => expect(ndjsonLineSchema.parse(JSON.parse(line))).toEqual({ time: '2030-01-02T03:04:05.000Z', event: sampleRun[i] }));
  });
});

describe('createRunOutput', () => {
  it('--json: NDJSON alone on stdout, plain lines on stderr', async () => {
    const { io, out, err } = fakeIo({});
    await play(io, true);
    const lines = out().trimEnd().split('\n');
    expect(lines).toHaveLength(sampleRun.length);
    for (const line of lines) expect(ndjsonLineSchema.safeParse(JSON.parse(line)).success).toBe(true);
    expect(err()).toContain('▶ Phase P1: Base');
  });

  it('a pipe gets plain lines on stdout; silent gets nothing at all', async () => {
    const piped = fakeIo({});
    await play(piped.io, false);
    expect(piped.out()).toMatch(/^\d\d:\d\d:\d\d Demo plan: 1 phases, 3 tasks/);
    expect(piped.err()).toBe('');
    const silent = fakeIo({ CCASP_OUTPUT: 'silent' });
    await play(silent.io, false);
    expect(silent.out() + silent.err()).toBe('');
  });

  it('warns on stderr about a CCASP_OUTPUT it does not know', async () => {
    const { io, err } = fakeIo({ CCASP_OUTPUT: 'fancy' });
    await createRunOutput(io, { json: false, color: undefined });
    expect(err()).toBe('warning: CCASP_OUTPUT="fancy" is not one of tty, plain, silent; ignored\n');
  });

  it('in GitHub Actions, writes the step summary and puts annotations on stdout, or on stderr with --json', async () => {
    const dir = tempDir();
    const summary = path.join(dir, 'summary.md');
    const plainRun = fakeIo({ GITHUB_STEP_SUMMARY: summary, CI: 'true' });
    await play(plainRun.io, false);
    expect(plainRun.out()).toMatch(/^::warning title=ccasp%3A task T2 is blocked::/m);
    expect(plainRun.err()).toBe('');
    const jsonRun = fakeIo({ GITHUB_STEP_SUMMARY: summary, CI: 'true' });
    await play(jsonRun.io, true);
    expect(jsonRun.out()).not.toContain('::');
    expect(jsonRun.err()).toMatch(/^::error title=ccasp%3A phase P1 \(Base\) failed::T3: cannot be done$/m);
    // Appended, never overwritten: other steps' summaries stay.
    expect(readFileSync(summary, 'utf8').match(/## ⚠️ ccasp: Demo plan/g)).toHaveLength(2);
  });

  it('subscribes each renderer on its own', () => {
    const bus = new EventBus();
    const first = recordingRenderer();
    const second = recordingRenderer();
    attachRenderers(bus, [first, second]);
    for (const e of sampleRun) bus.emit(e);
    expect(first.events).toEqual(sampleRun);
    expect(second.events).toEqual(sampleRun);
  });
});
