import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunFiles, type EditableFile } from '../../src/state/run-files.js';
import { tempDir, writeFile } from '../support/tmp.js';

/** A plan file and a state file, the plan editable by a person; `edited` is what the run does with an edit. */
function setup(edited: (onDisk: Buffer | undefined, lastWritten: Buffer) => void) {
  const dir = tempDir();
  const plan = writeFile(dir, 'PROGRESS.json', 'as read');
  const state = path.join(dir, 'state.json');
  const calls: { onDisk: string | undefined; lastWritten: string }[] = [];
  const editable: EditableFile = {
    file: plan,
    bytes: readFileSync(plan),
    async edited(onDisk, lastWritten) {
      calls.push({ onDisk: onDisk?.toString(), lastWritten: lastWritten.toString() });
      edited(onDisk, lastWritten);
    },
  };
  let version = 0;
  let beforeSnapshot = (): void => undefined;
  const files = new RunFiles(() => {
    beforeSnapshot();
    version++;
    return [
      { file: plan, text: `plan ${version}` },
      { file: state, text: `state ${version}` },
    ];
  }, editable);
  return { plan, state, files, calls, setBeforeSnapshot: (f: () => void) => (beforeSnapshot = f) };
}

const text = (file: string) => readFileSync(file, 'utf8');

describe('RunFiles with a file a person may edit', () => {
  it('writes over its own writes without asking', async () => {
    const s = setup(() => undefined);
    await s.files.save();
    await s.files.save();
    expect([text(s.plan), text(s.state)]).toEqual(['plan 2', 'state 2']);
    expect(s.calls).toEqual([]);
  });

  it('hands an edit over before the write that would replace it, and writes on once it is taken', async () => {
    const s = setup(() => undefined);
    await s.files.save();
    writeFileSync(s.plan, 'edited by hand');
    await s.files.save();
    expect(s.calls).toEqual([{ onDisk: 'edited by hand', lastWritten: 'plan 1' }]);
    // The write found the edit just before its rename, and started over once it was taken.
    expect(text(s.plan)).toBe('plan 3');
    await s.files.save();
    expect(s.calls, 'the taken edit is not handed over again').toHaveLength(1);
  });

  it('an edit made before the first write is compared with the file as read', async () => {
    const s = setup(() => undefined);
    writeFileSync(s.plan, 'edited early');
    await s.files.save();
    expect(s.calls).toEqual([{ onDisk: 'edited early', lastWritten: 'as read' }]);
  });

  it('leaves a refused edit as it is for the rest of the run, writing the other files still', async () => {
    const refusal = new Error('cannot take it');
    const s = setup(() => {
      throw refusal;
    });
    await s.files.save();
    writeFileSync(s.plan, 'edited by hand');
    await expect(s.files.save()).rejects.toBe(refusal);
    await expect(s.files.save()).rejects.toBe(refusal);
    expect(text(s.plan)).toBe('edited by hand');
    expect(text(s.state)).toBe('state 4');
    expect(s.calls).toHaveLength(1);
  });

  it('a removed file is handed over as gone', async () => {
    const s = setup(() => {
      throw new Error('gone');
    });
    await s.files.save();
    rmSync(s.plan);
    await expect(s.files.save()).rejects.toThrow('gone');
    expect(s.calls).toEqual([{ onDisk: undefined, lastWritten: 'plan 1' }]);
    expect(existsSync(s.plan), 'not written again').toBe(false);
  });

  it('does not replace a file edited while its new text was being written, and starts the write over', async () => {
    const s = setup(() => undefined);
    await s.files.save();
    let once = true;
    // The edit lands after the check, while ccasp writes: the rename must not replace it.
    s.setBeforeSnapshot(() => {
      if (once) writeFileSync(s.plan, 'edited meanwhile');
      once = false;
    });
    await s.files.save();
    expect(s.calls).toEqual([{ onDisk: 'edited meanwhile', lastWritten: 'plan 1' }]);
    expect([text(s.plan), text(s.state)]).toEqual(['plan 3', 'state 3']);
  });
});
