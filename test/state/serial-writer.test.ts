import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SerialWriter } from '../../src/state/serial-writer.js';
import { tempDir } from '../support/tmp.js';

/** A write the test lets finish (or fail) when it chooses. */
interface Gate {
  readonly promise: Promise<void>;
  open(): void;
  fail(error: Error): void;
}

function gate(): Gate {
  let open!: () => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

/** Lets pending promise callbacks run (several hops of then-chains). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
}

/** Turns the event loop until `done()` holds (file writes finish on the thread pool), then settles. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !done(); i++) await new Promise((r) => setImmediate(r));
  expect(done()).toBe(true);
  await settle();
}

/**
 * A document kept in memory and written to a real file. Each write snapshots the document when it
 * starts, waits at its gate, then writes the snapshot: what a caller changed before the write began
 * is on disk when the write ends, and not before.
 */
function store() {
  const file = path.join(tempDir(), 'PROGRESS.json');
  const doc: Record<string, string> = {};
  const gates: Gate[] = [];
  const snapshots: string[] = [];
  const writer = new SerialWriter(async () => {
    const snapshot = JSON.stringify(doc);
    snapshots.push(snapshot);
    const g = gate();
    gates.push(g);
    await g.promise;
    await writeFile(file, snapshot);
  });
  const onDisk = (): Record<string, string> => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  };
  return { file, doc, gates, snapshots, writer, onDisk };
}

/** Tracks when a promise settles, without waiting for it. */
function track(promise: Promise<void>): { settled: () => 'pending' | 'resolved' | 'rejected'; error: () => unknown } {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  let reason: unknown;
  promise.then(
    () => {
      state = 'resolved';
    },
    (e: unknown) => {
      state = 'rejected';
      reason = e;
    },
  );
  return { settled: () => state, error: () => reason };
}

describe('SerialWriter', () => {
  it('writes once for a single request and resolves after the write', async () => {
    const s = store();
    s.doc.a = '1';
    const first = track(s.writer.request());
    await settle();
    expect(s.gates).toHaveLength(1);
    expect(first.settled()).toBe('pending');
    s.gates[0]!.open();
    await until(() => first.settled() !== 'pending');
    expect(first.settled()).toBe('resolved');
    expect(s.onDisk()).toEqual({ a: '1' });
  });

  it('starts a write at once, with what was changed before the call', () => {
    const s = store();
    s.doc.a = '1';
    void s.writer.request();
    s.doc.b = '2';
    expect(s.snapshots).toEqual(['{"a":"1"}']);
    s.gates[0]!.open();
  });

  it('calls made during a write share one following write', async () => {
    const s = store();
    s.doc.a = '1';
    const first = s.writer.request();
    await settle();
    s.doc.b = '2';
    const second = s.writer.request();
    s.doc.c = '3';
    const third = s.writer.request();
    expect(third).toBe(second);
    await settle();
    expect(s.gates).toHaveLength(1);
    s.gates[0]!.open();
    await first;
    await settle();
    expect(s.gates).toHaveLength(2);
    s.gates[1]!.open();
    await Promise.all([second, third]);
    await settle();
    // Three calls, two writes: the first, and one shared by the two that came during it.
    expect(s.snapshots).toEqual(['{"a":"1"}', '{"a":"1","b":"2","c":"3"}']);
    expect(s.onDisk()).toEqual({ a: '1', b: '2', c: '3' });
  });

  it('a caller resolves only after a write that began after its call', async () => {
    const s = store();
    s.doc.a = '1';
    const first = track(s.writer.request());
    await settle();
    // The first write has taken its snapshot; this change comes after it.
    s.doc.b = '2';
    const second = track(s.writer.request());
    s.gates[0]!.open();
    await until(() => first.settled() !== 'pending');
    expect(first.settled()).toBe('resolved');
    expect(s.onDisk()).toEqual({ a: '1' });
    // The first write is done, but it did not carry b: the second caller still waits.
    expect(second.settled()).toBe('pending');
    expect(s.gates).toHaveLength(2);
    s.gates[1]!.open();
    await until(() => second.settled() !== 'pending');
    expect(second.settled()).toBe('resolved');
    expect(s.onDisk()).toEqual({ a: '1', b: '2' });
  });

  it('every caller finds its own change on disk when its promise resolves', async () => {
    const s = store();
    const checks: Promise<void>[] = [];
    for (let i = 0; i < 30; i++) {
      const key = `k${i}`;
      s.doc[key] = String(i);
      checks.push(
        s.writer.request().then(() => {
          expect(s.onDisk()[key]).toBe(String(i));
        }),
      );
      // Let every write through as soon as it waits, at varying points among the calls.
      if (i % 7 === 3) {
        await settle();
        for (const g of s.gates) g.open();
      }
    }
    let finished = false;
    void Promise.all(checks).then(() => {
      finished = true;
    });
    for (let i = 0; i < 10_000 && !finished; i++) {
      for (const g of s.gates) g.open();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(checks);
    // Far fewer writes than calls.
    expect(s.snapshots.length).toBeLessThan(30);
    expect(s.snapshots.length).toBeGreaterThan(1);
  });

  it('a failing write rejects its callers, and the next request still writes', async () => {
    const s = store();
    s.doc.a = '1';
    const first = track(s.writer.request());
    await settle();
    s.gates[0]!.fail(new Error('disk full'));
    await settle();
    expect(first.settled()).toBe('rejected');
    expect((first.error() as Error).message).toBe('disk full');
    expect(s.onDisk()).toEqual({});

    const again = track(s.writer.request());
    await settle();
    expect(s.gates).toHaveLength(2);
    s.gates[1]!.open();
    await until(() => again.settled() !== 'pending');
    expect(again.settled()).toBe('resolved');
    expect(s.onDisk()).toEqual({ a: '1' });
  });

  it('callers queued behind a failing write are not rejected by it; their own write decides', async () => {
    const s = store();
    s.doc.a = '1';
    const first = track(s.writer.request());
    await settle();
    const queued = track(s.writer.request());
    s.gates[0]!.fail(new Error('disk full'));
    await until(() => s.gates.length === 2);
    expect(first.settled()).toBe('rejected');
    expect(queued.settled()).toBe('pending');
    s.gates[1]!.open();
    await until(() => queued.settled() !== 'pending');
    expect(queued.settled()).toBe('resolved');
    expect(s.onDisk()).toEqual({ a: '1' });
  });

  it('a failure of the shared write rejects every caller that shared it', async () => {
    const s = store();
    const first = track(s.writer.request());
    await settle();
    const b = track(s.writer.request());
    const c = track(s.writer.request());
    s.gates[0]!.open();
    await until(() => s.gates.length === 2);
    expect(first.settled()).toBe('resolved');
    s.gates[1]!.fail(new Error('EIO'));
    await until(() => b.settled() !== 'pending' && c.settled() !== 'pending');
    expect(b.settled()).toBe('rejected');
    expect(c.settled()).toBe('rejected');
    // And the writer is usable afterwards.
    const d = track(s.writer.request());
    await until(() => s.gates.length === 3);
    s.gates[2]!.open();
    await until(() => d.settled() !== 'pending');
    expect(d.settled()).toBe('resolved');
  });

  it('never runs two writes at once', async () => {
    let active = 0;
    let most = 0;
    const writer = new SerialWriter(async () => {
      active++;
      most = Math.max(most, active);
      await new Promise((r) => setImmediate(r));
      active--;
    });
    const all: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      all.push(writer.request());
      if (i % 5 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(all);
    expect(most).toBe(1);
  });
});
