import { realpathSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import path from 'node:path';
import type { Problem } from '../errors.js';
import { readRegularFile } from '../regular-file.js';
import { MAX_JSON_DEPTH, pathTooDeep } from './json-depth.js';
import { jsonErrorOffset } from './json-error-offset.js';

export const PLAN_FILE_NAME = 'PROGRESS.json';
const MAX_PLAN_BYTES = 64 * 1024 * 1024;

/** How the file was written, so a write-back changes only the fields ccasp owns. */
export interface JsonFormat {
  readonly indent: string;
  readonly eol: '\n' | '\r\n';
  readonly finalNewline: boolean;
  readonly bom: boolean;
  /** Hand-written plans keep short lists such as `"dependencies": ["P1.1"]` on one line. */
  readonly inlineScalarArrays: boolean;
}

export type JsonFileResult =
  | { readonly ok: true; readonly raw: unknown; readonly format: JsonFormat; readonly bytes: Buffer }
  | { readonly ok: false; readonly problem: Problem };

/**
 * A plan argument may name the plan directory or the JSON file itself. The file's folder is given by
 * its real path, so that every way of naming one plan (a symlink, `..`) finds the same project.
 */
export async function resolvePlanFile(input: string): Promise<string> {
  const absolute = path.resolve(input);
  const file = absolute.toLowerCase().endsWith('.json') ? absolute : path.join(absolute, PLAN_FILE_NAME);
  const folder = realFolder(path.dirname(file));
  return path.join(folder, path.basename(file));
}

/** The folder by its real path (one system call, not a lookup per component); a missing one is reported when the file under it is read. */
function realFolder(folder: string): string {
  try {
    return realpathSync.native(folder);
  } catch {
    return folder;
  }
}

export async function readJsonFile(file: string): Promise<JsonFileResult> {
  const read = await readRegularFile(file, 'a JSON file', { bytes: MAX_PLAN_BYTES, what: 'plans' });
  if (read.kind === 'ok') return parseJsonBytes(file, read.bytes);
  return { ok: false, problem: { file, path: '', message: read.kind === 'absent' ? 'not found' : read.message } };
}

/** A JSON file's bytes, checked to be UTF-8 text holding one JSON value, with the layout it was written in. */
export function parseJsonBytes(file: string, bytes: Buffer): JsonFileResult {
  const fail = (message: string, at = ''): JsonFileResult => ({ ok: false, problem: { file, path: at, message } });
  if (!isUtf8(bytes)) return fail(`is not valid UTF-8 text (first bad byte at offset ${firstInvalidUtf8Byte(bytes)})`);
  let text = bytes.toString('utf8');
  const bom = text.charCodeAt(0) === 0xfeff;
  if (bom) text = text.slice(1);
  if (text.trim() === '') return fail('is empty, expected a JSON object');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return fail(`is not valid JSON: ${describeJsonError(text, error)}`);
  }
  const deep = pathTooDeep(raw);
  if (deep !== undefined) return fail(`nested more than ${MAX_JSON_DEPTH} levels deep; deeper JSON is refused`, deep);
  return { ok: true, raw, format: detectFormat(text, bom), bytes };
}

export function detectFormat(text: string, bom: boolean): JsonFormat {
  const indent = /\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
  const multiLineScalarArray = /\[[ \t]*\r?\n\s*(?:"|-?\d|true|false|null)/.test(text);
  const inlineScalarArray = /\[[ \t]*(?:"|-?\d|true|false|null)/.test(text);
  return {
    indent,
    eol: text.includes('\r\n') ? '\r\n' : '\n',
    finalNewline: /\n$/.test(text),
    bom,
    inlineScalarArrays: inlineScalarArray && !multiLineScalarArray,
  };
}

const SCALAR = String.raw`(?:"(?:[^"\\\n]|\\.)*"|-?[\d.eE+-]+|true|false|null)`;
const MULTI_LINE_SCALAR_ARRAY = new RegExp(String.raw`\[\n\s*(${SCALAR}(?:,\n\s*${SCALAR})*)\n\s*\]`, 'g');

function inlineScalarArrays(text: string): string {
  // JSON.stringify never puts a raw newline inside a string, so splitting on ",\n" is safe.
  return text.replace(MULTI_LINE_SCALAR_ARRAY, (_, body: string) => `[${body.split(/,\n\s*/).join(', ')}]`);
}

export function serializeJson(raw: unknown, format: JsonFormat): string {
  let text = formatJsonText(JSON.stringify(raw, null, format.indent), format);
  if (format.finalNewline) text += format.eol;
  return format.bom ? `\ufeff${text}` : text;
}

/** JSON.stringify's text in the file's layout: one-line lists of scalars, the file's line endings. */
function formatJsonText(text: string, format: JsonFormat): string {
  if (format.inlineScalarArrays) text = inlineScalarArrays(text);
  if (format.eol === '\r\n') text = text.replace(/\n/g, '\r\n');
  return text;
}

/** People need a line and column, which Node 20's message lacks. */
function describeJsonError(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const reason = message.replace(/, [\s\S]*is not valid JSON$/, '').replace(/ in JSON at position \d+[\s\S]*$/, '');
  const offset = jsonErrorOffset(text);
  if (offset === undefined) return reason;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return offset >= text.length ? `unexpected end of file (line ${line}, column ${column})` : `${reason} (line ${line}, column ${column})`;
}

function firstInvalidUtf8Byte(bytes: Buffer): number {
  // Everything before the first replacement character decoded cleanly, so its length in bytes is the offset.
  const decoded = bytes.toString('utf8');
  return Buffer.byteLength(decoded.slice(0, Math.max(0, decoded.indexOf('\ufffd'))));
}
