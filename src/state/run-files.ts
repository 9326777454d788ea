import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { SerialWriter } from './serial-writer.js';
import { writeAtomic, writeAtomicIf } from './atomic-write.js';

/** A file's path and its whole new text. */
export interface FileSnapshot {
  readonly file: string;
  readonly text: string;
}

/**
 * A file a person may edit while a run keeps it (PROGRESS.json). Each write of it replaces the file
 * only if it still holds the bytes ccasp last wrote (or read, before its first write), compared just
 * before the rename. When it does not, `edited` is given the bytes on disk now (undefined when it
 * cannot be read: removed, say) and those ccasp last wrote, and takes the edit (returns), so the write
 * starts over from the file as it now is, or refuses it (throws): the file is then left as it is for
 * the rest of the run, and every later write of it fails with that error.
 */
export interface EditableFile {
  readonly file: string;
  /** The bytes as ccasp read them. */
  readonly bytes: Buffer;
  edited(onDisk: Buffer | undefined, lastWritten: Buffer): Promise<void>;
}

/**
 * A run's files (PROGRESS.json and state.json), written whole after every change, each atomically,
 * by one serial writer: one write in flight, and the changes made meanwhile folded into the next.
 * `snapshot` is asked for the files' text when a write starts (after a person's edit of `editable` is
 * taken), so a write always carries the latest state. `save` settles once everything recorded before
 * the call is on disk, or fails with the first file's error once every file's write has ended.
 */
export class RunFiles {
  private readonly writer: SerialWriter;
  private lastWritten: Buffer | undefined;
  private refusal: { readonly error: unknown } | undefined;

  constructor(
    snapshot: () => readonly FileSnapshot[],
    private readonly editable?: EditableFile,
  ) {
    this.lastWritten = editable?.bytes;
    this.writer = new SerialWriter(async () => {
      // Read only once per write, just before the rename (the file can be large); when it changed,
      // the edit is taken and the write starts over, so that the snapshot includes it.
      for (let attempt = 0, written = false; !written; attempt++) {
        if (attempt > 0) await this.takeEdits();
        const files = snapshot();
        const results = await Promise.allSettled(files.map((s) => (s.file === editable?.file ? this.writeEditable(editable, s.text) : writeAtomic(s.file, s.text).then(() => true))));
        const failed = results.find((r) => r.status === 'rejected');
        if (failed) throw failed.reason;
        written = results.every((r) => r.status === 'fulfilled' && r.value);
      }
    });
  }

  save(): Promise<void> {
    return this.writer.request();
  }

  /** A person's edit of the editable file, taken or refused before the write that would replace it. */
  private async takeEdits(): Promise<void> {
    const { editable, lastWritten } = this;
    if (!editable || !lastWritten || this.refusal) return;
    const onDisk = await settled(editable.file, await readBytes(editable.file));
    if (onDisk?.equals(lastWritten)) return;
    try {
      await editable.edited(onDisk, lastWritten);
      if (onDisk) this.lastWritten = onDisk;
    } catch (error) {
      this.refusal = { error };
    }
  }

  /** Writes the editable file unless it changed since it was last compared; returns whether it did. */
  private async writeEditable(editable: EditableFile, text: string): Promise<boolean> {
    if (this.refusal) throw this.refusal.error;
    const lastWritten = this.lastWritten;
    // Read whole: size and mtime can stay the same across an edit ("pending" and "skipped" are as long).
    const replaced = await writeAtomicIf(editable.file, text, async () => lastWritten === undefined || (await readBytes(editable.file))?.equals(lastWritten) === true);
    if (replaced) this.lastWritten = Buffer.from(text, 'utf8');
    return replaced;
  }
}

const readBytes = (file: string): Promise<Buffer | undefined> => readFile(file).catch(() => undefined);

/** How long a file must stay the same to count as written: an editor saving in place truncates first. */
const SETTLE_MS = 100;
const SETTLE_TRIES = 10;

/** The file's bytes once two reads SETTLE_MS apart agree (or after SETTLE_TRIES), so a half-saved file is not taken for the edit. */
async function settled(file: string, first: Buffer | undefined): Promise<Buffer | undefined> {
  let last = first;
  for (let i = 0; i < SETTLE_TRIES; i++) {
    await delay(SETTLE_MS);
    const now = await readBytes(file);
    if (now === last || (now && last?.equals(now))) return now;
    last = now;
  }
  return last;
}
