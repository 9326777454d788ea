import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventFollower } from '../../src/dashboard/event-follower.js';
import { tempDir } from '../support/tmp.js';

const line = (time: string, message: string) => `${JSON.stringify({ time, type: 'run.notice', level: 'info', message })}\n`;
const T1 = '2026-01-01T00:00:00.001Z';
const T2 = '2026-01-01T00:00:00.002Z';
const messages = (step: ReturnType<EventFollower['read']>) => step.events.map((e) => (e.event.type === 'run.notice' ? e.event.message : e.event.type));

describe('EventFollower', () => {
  it('returns each whole line once, and leaves a torn last line until its newline comes', () => {
    const file = path.join(tempDir(), 'events.jsonl');
    const follower = new EventFollower(file);
    expect(follower.read()).toEqual({ reset: false, events: [], damaged: 0 });
    const second = line(T1, 'two');
    writeFileSync(file, line(T1, 'one') + second.slice(0, 20));
    expect(messages(follower.read())).toEqual(['one']);
    expect(messages(follower.read())).toEqual([]);
    appendFileSync(file, second.slice(20));
    expect(messages(follower.read())).toEqual(['two']);
    expect(messages(follower.read())).toEqual([]);
  });

  it('skips lines that are no event, counting them', () => {
    const file = path.join(tempDir(), 'events.jsonl');
    writeFileSync(file, `${line(T1, 'one')}not json\n{"time":"${T1}","type":"no.such"}\n${line(T1, 'two')}`);
    const step = new EventFollower(file).read();
    expect(messages(step)).toEqual(['one', 'two']);
    expect(step.damaged).toBe(2);
  });

  it("starts over when a new run's file replaces the old one, even one as long or longer", () => {
    const file = path.join(tempDir(), 'events.jsonl');
    const follower = new EventFollower(file);
    writeFileSync(file, line(T1, 'old'));
    expect(messages(follower.read())).toEqual(['old']);
    rmSync(file);
    writeFileSync(file, line(T2, 'new') + line(T2, 'more'));
    const step = follower.read();
    expect(step.reset).toBe(true);
    expect(messages(step)).toEqual(['new', 'more']);
  });

  it('reports a file that went away as a reset, once', () => {
    const file = path.join(tempDir(), 'events.jsonl');
    const follower = new EventFollower(file);
    writeFileSync(file, line(T1, 'old'));
    follower.read();
    rmSync(file);
    expect(follower.read().reset).toBe(true);
    expect(follower.read().reset).toBe(false);
  });
});
