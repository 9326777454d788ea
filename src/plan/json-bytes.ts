import { formatJsonText, serializeJson, type JsonFormat } from './read-file.js';

/** Encoded text in pieces, in order: a parent lists its children's pieces rather than copying them. */
type Rope = readonly Buffer[];
/** Short text not yet encoded, or a rope. */
type Text = string | Rope;

/** Array elements kept together as one piece, so a long list is a few dozen pieces, not thousands. */
const BLOCK_SIZE = 32;
/** A container this small is copied into one piece rather than listed as several. */
const SMALL = 4096;

interface Block {
  readonly bytes: Buffer;
  /** Every element is a string, number, boolean or null (such a list may go on one line). */
  readonly scalars: boolean;
}

/**
 * `serializeJson` as UTF-8 bytes, byte for byte, keeping the bytes of every object and array until
 * they are `forget`-ten: rewriting a plan after one task changed costs that task, its block of
 * siblings, the objects above it and one copy of the file, not a JSON.stringify of every task.
 * Bytes, not strings, because encoding the whole text for each write cost as much again as making
 * it; pieces, not one buffer per object, because copying the file once per level cost as much again.
 *
 * It produces what serializeJson's passes do, in one go: JSON.stringify's layout (a string gap cut
 * to 10 characters; `": "` after a key unless the gap is empty), each non-empty array of scalars on
 * one line when `inlineScalarArrays` (exactly what that regex matches: JSON.stringify never puts a
 * raw newline inside a string, so `[` then a newline only ever opens an array), and the file's line
 * ending, BOM and final newline. It leaves to serializeJson a gap with characters other than spaces
 * and tabs, which that regex would read differently.
 */
export class JsonBytes {
  private readonly containers = new WeakMap<object, { readonly depth: number; readonly text: Rope }>();
  private readonly blocks = new WeakMap<object, { readonly depth: number; readonly list: (Block | undefined)[] }>();
  private readonly gap: string;
  private readonly colon: string;
  private readonly newlines: string[] = [];
  private composable: boolean;

  private readonly blockSize: number;

  /** `blockSize` is for tests, which need long arrays without generating long arrays. */
  constructor(
    private readonly format: JsonFormat,
    options: { blockSize?: number } = {},
  ) {
    this.blockSize = options.blockSize ?? BLOCK_SIZE;
    this.gap = format.indent.slice(0, 10);
    this.colon = this.gap === '' ? ':' : ': ';
    this.composable = /^[ \t]*$/.test(this.gap);
  }

  /** `node` changed inside its child at key `via`, or anywhere when `via` is undefined. */
  forget(node: object, via: string | undefined): void {
    this.containers.delete(node);
    const blocks = this.blocks.get(node);
    if (!blocks) return;
    const index = via === undefined ? -1 : arrayIndex(via);
    if (index < 0) this.blocks.delete(node);
    else blocks.list[Math.floor(index / this.blockSize)] = undefined;
  }

  /** Keep nothing from now on: the tree changed in a way `forget` cannot follow. */
  disable(): void {
    this.composable = false;
  }

  bytes(root: unknown): Buffer {
    return Buffer.concat(this.pieces(root));
  }

  /** The bytes in order, in pieces: a writer copies them once, where it wants them. */
  pieces(root: unknown): readonly Buffer[] {
    if (!this.composable || !isPlain(root)) return [Buffer.from(serializeJson(root, this.format), 'utf8')];
    const { bom, finalNewline, eol } = this.format;
    const body = this.container(root, 0);
    return [...(bom ? [BOM] : []), ...toRope(body), ...(finalNewline ? [Buffer.from(eol)] : [])];
  }

  private value(value: unknown, depth: number): Text | undefined {
    if (typeof value !== 'object' || value === null) return JSON.stringify(value);
    return isPlain(value) ? this.container(value, depth) : this.foreign(value, depth);
  }

  private container(node: object, depth: number): Text {
    const cached = this.containers.get(node);
    if (cached !== undefined && cached.depth === depth) return cached.text;
    const text = Array.isArray(node) ? this.array(node, depth) : this.object(node as Record<string, unknown>, depth);
    // `{}`, `[]` and one-line lists of scalars are cheaper to make again than to keep.
    if (typeof text === 'string' && (text === '{}' || text.startsWith('['))) return text;
    const rope = compact(toRope(text));
    this.containers.set(node, { depth, text: rope });
    return rope;
  }

  private object(node: Record<string, unknown>, depth: number): Text {
    const inner = this.newline(depth + 1);
    const out = new RopeBuilder('{');
    let empty = true;
    for (const key of Object.keys(node)) {
      const child = this.value(node[key], depth + 1);
      if (child === undefined) continue;
      out.add(`${empty ? '' : ','}${inner}${JSON.stringify(key)}${this.colon}`);
      out.add(child);
      empty = false;
    }
    if (empty) return '{}';
    out.add(`${this.newline(depth)}}`);
    return out.done();
  }

  private array(node: readonly unknown[], depth: number): Text {
    if (node.length === 0) return '[]';
    const items = node.length <= this.blockSize ? this.items(node, 0, node.length, depth) : undefined;
    const blocks = items ? undefined : this.arrayBlocks(node, depth);
    const scalars = items ? items.scalars : blocks!.every((b) => b.scalars);
    if (scalars && this.format.inlineScalarArrays && this.gap !== '') {
      const all = items ?? this.items(node, 0, node.length, depth);
      return `[${all.texts.join(', ')}]`;
    }
    const out = new RopeBuilder('[');
    if (items) items.texts.forEach((item, i) => out.add(`${i === 0 ? '' : ','}${this.newline(depth + 1)}`).add(item));
    else for (const block of blocks!) out.add([block.bytes]);
    out.add(`${this.newline(depth)}]`);
    return out.done();
  }

  /** The array's elements in blocks of `blockSize`, each made only when one of its elements changed. */
  private arrayBlocks(node: readonly unknown[], depth: number): Block[] {
    let cache = this.blocks.get(node);
    if (cache === undefined || cache.depth !== depth) {
      cache = { depth, list: [] };
      this.blocks.set(node, cache);
    }
    const count = Math.ceil(node.length / this.blockSize);
    cache.list.length = count;
    const list = cache.list;
    for (let b = 0; b < count; b++) {
      if (list[b] !== undefined) continue;
      const start = b * this.blockSize;
      const { texts, scalars } = this.items(node, start, Math.min(node.length, start + this.blockSize), depth);
      const out = new RopeBuilder('');
      texts.forEach((item, i) => out.add(`${start + i === 0 ? '' : ','}${this.newline(depth + 1)}`).add(item));
      list[b] = { bytes: Buffer.concat(toRope(out.done())), scalars };
    }
    return list as Block[];
  }

  private items(node: readonly unknown[], from: number, to: number, depth: number): { texts: Text[]; scalars: boolean } {
    const texts: Text[] = [];
    let scalars = true;
    for (let i = from; i < to; i++) {
      const item = this.value(node[i], depth + 1) ?? 'null';
      if (typeof item !== 'string' || item.startsWith('{') || item.startsWith('[')) scalars = false;
      texts.push(item);
    }
    return { texts, scalars };
  }

  /** A value JSON.stringify treats specially (`toJSON`, a boxed primitive): its own text, moved in to `depth`. */
  private foreign(value: object, depth: number): string | undefined {
    const text: string | undefined = JSON.stringify(value, null, this.gap);
    if (text === undefined) return undefined;
    const indent = this.gap.repeat(depth);
    return formatJsonText(text, this.format).replace(/\n/g, `\n${indent}`);
  }

  private newline(depth: number): string {
    if (this.gap === '') return '';
    return (this.newlines[depth] ??= `${this.format.eol}${this.gap.repeat(depth)}`);
  }
}

/** Collects text and ropes, encoding runs of text once. */
class RopeBuilder {
  private readonly pieces: Buffer[] = [];
  constructor(private pending: string) {}

  add(text: Text): this {
    if (typeof text === 'string') {
      this.pending += text;
    } else {
      if (this.pending !== '') this.pieces.push(Buffer.from(this.pending, 'utf8'));
      this.pending = '';
      for (const piece of text) this.pieces.push(piece);
    }
    return this;
  }

  done(): Text {
    if (this.pieces.length === 0) return this.pending;
    if (this.pending !== '') this.pieces.push(Buffer.from(this.pending, 'utf8'));
    return this.pieces;
  }
}

const BOM = Buffer.from('\ufeff', 'utf8');

function toRope(text: Text): Rope {
  return typeof text === 'string' ? [Buffer.from(text, 'utf8')] : text;
}

/** Small ropes become one piece: a parent then lists one piece per child, not one per key. */
function compact(rope: Rope): Rope {
  if (rope.length <= 1) return rope;
  let size = 0;
  for (const piece of rope) size += piece.length;
  return size <= SMALL ? [Buffer.concat(rope, size)] : rope;
}

/** The array index a property key names, or -1. */
function arrayIndex(key: string): number {
  return /^(?:0|[1-9]\d*)$/.test(key) ? Number(key) : -1;
}

/** A parsed JSON object or array: JSON.stringify lays it out from its own properties alone. */
function isPlain(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  const plainProto = Array.isArray(value) ? proto === Array.prototype : proto === Object.prototype || proto === null;
  return plainProto && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}
