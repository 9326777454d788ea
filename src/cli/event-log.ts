import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Listener } from '../orchestrator/events.js';
import { ndjsonLine } from './render/run-lines.js';

export interface EventLog {
  /** Subscribe it to the run's bus. */
  readonly listener: Listener;
  /** Settles once every event heard so far is on disk (or the file has failed). */
  close(): Promise<void>;
}

/**
 * The run's events, as `--json` prints them, appended to `file` (events.jsonl) as they happen, for
 * the dashboard and anyone tailing the run. The file holds one run: it is started afresh when the run
 * starts (under the lock), so it stays as long as the run and a reader needs no history of old runs.
 * Each event is one write of one whole line; a reader still treats a last line without its newline
 * as not yet written (a kill or a full disk can cut it). Like the other outputs, a file that cannot be
 * written stops nothing: `warn` is told once and later events are dropped. The events are built from
 * text already scrubbed where it came in (docs/architecture.md, Secrets), as `--json`'s are.
 */
export async function openEventLog(file: string, warn: (message: string) => void): Promise<EventLog> {
  // Removed, not truncated: a reader following the old file sees it go instead of bytes changing under it.
  await rm(file, { force: true });
  const stream = createWriteStream(file, { flags: 'wx' });
  let failed = false;
  const closed = new Promise<void>((resolve) => {
    stream.on('close', resolve);
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (!failed) warn(`${file} cannot be written (${error.code ?? error.message}); the run goes on without it`);
      failed = true;
      resolve();
    });
  });
  return {
    listener: (event) => {
      if (!failed) stream.write(ndjsonLine(event, new Date()));
    },
    close: () => {
      if (!failed) stream.end();
      return closed;
    },
  };
}
