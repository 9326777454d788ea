import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { ndjsonLineSchema } from '../orchestrator/event-schema.js';
import type { OrchestratorEvent } from '../orchestrator/events.js';

export interface TimedEvent {
  readonly time: string;
  readonly event: OrchestratorEvent;
}

export interface FollowStep {
  /** The file is another run's now, or gone: forget what was read before, `events` start over. */
  readonly reset: boolean;
  readonly events: readonly TimedEvent[];
  /** Whole lines that are not an event (hand-edited, or of a newer ccasp); skipped. */
  readonly damaged: number;
}

/** Enough of the first line to tell one run's file from the next one's: its time, to the millisecond. */
const HEAD_BYTES = 64;

/**
 * Reads events.jsonl as it grows: each call returns the whole lines appended since the last one. A
 * last line without its newline is not yet written (or was cut by a kill) and is left for later. A
 * new run replaces the file; the follower sees that by its first bytes (a new inode can reuse the old
 * number), or by its shrinking, and starts over. Never waits on a pipe put in the file's place: it
 * is opened without blocking and read only if it is a regular file.
 */
export class EventFollower {
  private offset = 0;
  private head: Buffer | undefined;

  constructor(readonly file: string) {}

  read(): FollowStep {
    const bytes = this.readNew();
    if (bytes === 'gone') {
      const reset = this.offset > 0;
      this.offset = 0;
      this.head = undefined;
      return { reset, events: [], damaged: 0 };
    }
    const { reset, chunk } = bytes;
    const end = chunk.lastIndexOf(0x0a);
    if (end < 0) return { reset, events: [], damaged: 0 };
    this.offset += end + 1;
    const events: TimedEvent[] = [];
    let damaged = 0;
    for (const line of chunk.subarray(0, end).toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      const parsed = parseLine(line);
      if (parsed) events.push(parsed);
      else damaged++;
    }
    return { reset, events, damaged };
  }

  private readNew(): { reset: boolean; chunk: Buffer } | 'gone' {
    let fd: number;
    try {
      fd = openSync(this.file, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch {
      return 'gone';
    }
    try {
      const info = fstatSync(fd);
      if (!info.isFile()) return 'gone';
      let reset = false;
      if (this.head !== undefined && (info.size < this.offset || !sameHead(fd, this.head))) {
        reset = true;
        this.offset = 0;
      }
      if (this.head === undefined || this.head.length < HEAD_BYTES) this.head = readAt(fd, 0, Math.min(HEAD_BYTES, info.size));
      return { reset, chunk: readAt(fd, this.offset, info.size - this.offset) };
    } finally {
      closeSync(fd);
    }
  }
}

function sameHead(fd: number, head: Buffer): boolean {
  return readAt(fd, 0, head.length).equals(head);
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(Math.max(0, length));
  let done = 0;
  while (done < buffer.length) {
    const n = readSync(fd, buffer, done, buffer.length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buffer.subarray(0, done);
}

function parseLine(line: string): TimedEvent | undefined {
  try {
    const parsed = ndjsonLineSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
