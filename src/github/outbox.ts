import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { InvalidStateError } from '../errors.js';
import { readRegularFile } from '../regular-file.js';
import { SerialWriter } from '../state/serial-writer.js';
import { writeAtomic } from '../state/atomic-write.js';
import { entryKey, entrySchema, type OutboxEntry } from './entries.js';

/**
 * GitHub work not yet done, one JSON entry per line, oldest first.
 *
 * Written by atomic rewrite (temp file, fsync, rename), not by appending. The file only ever holds
 * what is undelivered: a handful of entries, a few hundred if GitHub is down for a whole run, so
 * rewriting it is cheap; in exchange a crash at any moment leaves the previous complete file (no torn
 * last line to repair), delivering an entry is just writing the file without it, and no compaction
 * step is needed. Bursts of changes share one write (SerialWriter). Lines stay JSON Lines so a
 * person can read or trim the file, and one damaged line costs that entry, not the outbox.
 *
 * Changes are made in memory at once and persisted in the background: `add` never waits for the disk,
 * so the run is never slowed by it.
 */
export class Outbox {
  private readonly items: OutboxEntry[];
  private readonly writer: SerialWriter;

  private constructor(
    readonly file: string,
    items: OutboxEntry[],
    /** Lines that could not be read back; reported once by whoever opened the outbox. */
    readonly damagedLines: number,
  ) {
    this.items = items;
    this.writer = new SerialWriter(async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      await writeAtomic(this.file, this.items.map((e) => `${JSON.stringify(e)}\n`).join(''));
    });
  }

  /** Throws InvalidStateError when the file is there but cannot be read (a folder, a pipe, no permission). */
  static async open(file: string): Promise<Outbox> {
    const read = await readRegularFile(file, 'a JSON Lines file');
    if (read.kind === 'not-a-file' || read.kind === 'unreadable') throw new InvalidStateError([{ file, path: '', message: read.message }]);
    const text = read.kind === 'ok' ? read.bytes.toString('utf8') : '';
    const items: OutboxEntry[] = [];
    let damaged = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const parsed = safeJson(line);
      const entry = parsed === undefined ? undefined : entrySchema.safeParse(parsed);
      if (entry?.success) items.push(entry.data);
      else damaged++;
    }
    return new Outbox(file, items, damaged);
  }

  get size(): number {
    return this.items.length;
  }

  first(): OutboxEntry | undefined {
    return this.items[0];
  }

  /** Queues an entry; one for the same GitHub state (the status comment, the label) is replaced in place. */
  add(entry: OutboxEntry): void {
    const key = entryKey(entry);
    const at = this.items.findIndex((e) => entryKey(e) === key);
    if (at >= 0) this.items[at] = entry;
    else this.items.push(entry);
  }

  /**
   * Drops `entry` once delivered, unless a newer entry replaced it meanwhile (a status comment edited
   * again while the previous edit was in flight): then the newer one stays to be delivered.
   */
  remove(entry: OutboxEntry): void {
    const at = this.items.indexOf(entry);
    if (at >= 0) this.items.splice(at, 1);
  }

  /** Settles once every change made before the call is on disk. */
  persist(): Promise<void> {
    return this.writer.request();
  }
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}
