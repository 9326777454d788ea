import { SerialWriter } from './serial-writer.js';
import { writeAtomic } from './atomic-write.js';

/** A file's path and its whole new text. */
export interface FileSnapshot {
  readonly file: string;
  readonly text: string;
}

/**
 * A run's files (PROGRESS.json and state.json), written whole after every change, each atomically,
 * by one serial writer: one write in flight, and the changes made meanwhile folded into the next.
 * `snapshot` is asked for the files' text when a write starts, so a write always carries the latest
 * state. `save` settles once everything recorded before the call is on disk.
 */
export class RunFiles {
  private readonly writer: SerialWriter;

  constructor(snapshot: () => readonly FileSnapshot[]) {
    this.writer = new SerialWriter(async () => {
      await Promise.all(snapshot().map((s) => writeAtomic(s.file, s.text)));
    });
  }

  save(): Promise<void> {
    return this.writer.request();
  }
}
