import type { OrchestratorState } from './schema.js';

/** The lists that only ever grow during a run, each entry never changed once recorded (AttemptLog). */
const HISTORY: ReadonlySet<string> = new Set(['attempts', 'failedTasks']);

/**
 * state.json's text, `${JSON.stringify(state, null, 2)}\n` byte for byte, as bytes. The attempt
 * history is most of the file and grows by one entry per attempt, yet was stringified and encoded
 * whole at every task's start and end, which made a run's cost grow with the square of its length;
 * its entries' bytes are now made once. The rest of the state is small and made each time.
 */
export class StateJson {
  private readonly histories = new Map<string, HistoryText>();

  /** `known`: the text of some keys' values (one level in), which the caller keeps itself. */
  bytes(state: OrchestratorState, known?: ReadonlyMap<string, string>): Buffer {
    return Buffer.concat(this.pieces(state, known));
  }

  /** The bytes in order, in pieces: a writer copies them once, where it wants them. */
  pieces(state: OrchestratorState, known: ReadonlyMap<string, string> = new Map()): readonly Buffer[] {
    const parts: Buffer[] = [];
    let text = '{';
    let empty = true;
    for (const [key, value] of Object.entries(state)) {
      const child: string | readonly Buffer[] | undefined =
        known.get(key) ?? (HISTORY.has(key) && Array.isArray(value) ? this.history(key).pieces(value) : indent(JSON.stringify(value, null, 2)));
      if (child === undefined) continue;
      text += `${empty ? '' : ','}\n  ${JSON.stringify(key)}: `;
      empty = false;
      if (typeof child === 'string') {
        text += child;
      } else {
        parts.push(Buffer.from(text, 'utf8'), ...child);
        text = '';
      }
    }
    parts.push(Buffer.from(empty ? '}\n' : `${text}\n}\n`, 'utf8'));
    return parts;
  }

  private history(key: string): HistoryText {
    let history = this.histories.get(key);
    if (!history) {
      history = new HistoryText();
      this.histories.set(key, history);
    }
    return history;
  }
}

/** Entries turned into bytes together, so a long history is a few dozen pieces to copy, not thousands. */
const BLOCK = 32;

/** One history list's text at depth 1 of state.json, in pieces, extended by the entries added since the last call. */
class HistoryText {
  private readonly seen: unknown[] = [];
  private readonly blocks: Buffer[] = [];
  private open = '';

  pieces(list: readonly unknown[]): readonly Buffer[] {
    if (!this.extends(list)) this.reset();
    for (let i = this.seen.length; i < list.length; i++) {
      const entry = list[i];
      this.seen.push(entry);
      this.open += `${i === 0 ? '' : ','}\n    ${indent(JSON.stringify(entry, null, 2), 2) ?? 'null'}`;
      if (this.seen.length % BLOCK === 0) {
        this.blocks.push(Buffer.from(this.open, 'utf8'));
        this.open = '';
      }
    }
    if (list.length === 0) return [Buffer.from('[]', 'utf8')];
    return [Buffer.from('[', 'utf8'), ...this.blocks, Buffer.from(`${this.open}\n  ]`, 'utf8')];
  }

  /** Whether `list` is what was seen so far plus entries after it: anything else is made again. */
  private extends(list: readonly unknown[]): boolean {
    if (list.length < this.seen.length) return false;
    for (let i = 0; i < this.seen.length; i++) if (list[i] !== this.seen[i]) return false;
    return true;
  }

  private reset(): void {
    this.seen.length = 0;
    this.blocks.length = 0;
    this.open = '';
  }
}

/** JSON.stringify's text for a value `depth` levels in (undefined stays undefined, to be left out). */
function indent(text: string | undefined, depth = 1): string | undefined {
  return text?.replace(/\n/g, `\n${'  '.repeat(depth)}`);
}
