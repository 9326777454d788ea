import { PassThrough } from 'node:stream';
import { Chalk } from 'chalk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ttyRenderer } from '../../../src/cli/render/tty.js';
import { sampleRun } from './events.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('ttyRenderer', () => {
  it('stops redrawing once its terminal is gone', async () => {
    vi.useFakeTimers();
    // ora moves the cursor through these tty.WriteStream methods.
    const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 80, cursorTo: () => true, moveCursor: () => true, clearLine: () => true });
    terminal.resume();
    // What processIo does for the real terminal: failed writes are dropped.
    terminal.on('error', () => undefined);
    const writes = vi.spyOn(terminal, 'write');
    const renderer = ttyRenderer(terminal, new Chalk({ level: 0 }));
    for (const e of sampleRun.slice(0, 5)) renderer.onEvent(e);
    vi.advanceTimersByTime(1000);
    expect(writes.mock.calls.length).toBeGreaterThan(5);

    const gone = Object.assign(new Error('write EIO'), { code: 'EIO' });
    terminal.destroy(gone);
    await new Promise((resolve) => process.nextTick(resolve));
    const before = writes.mock.calls.length;
    vi.advanceTimersByTime(1000);
    expect(writes.mock.calls.length).toBe(before);
    renderer.end();
  });
});
