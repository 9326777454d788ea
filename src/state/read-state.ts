import { InvalidStateError, type Problem } from '../errors.js';
import { parseJsonBytes } from '../plan/read-file.js';
import { zodProblems } from '../plan/zod-problems.js';
import { readRegularFile } from '../regular-file.js';
import type { OrchestratorState } from './schema.js';

/** Far beyond the books of any run (a 5,000-task plan's are a few MB), and well within what node can hold as text. */
const MAX_STATE_BYTES = 256 * 1024 * 1024;

export type StateRead =
  | { readonly kind: 'absent' }
  | { readonly kind: 'ok'; readonly state: OrchestratorState }
  | { readonly kind: 'invalid'; readonly problems: readonly Problem[] };

/**
 * state.json, read with the plan's care (type, size, UTF-8, JSON, depth) and checked against its
 * schema. A folder, pipe or device in its place is refused outright (InvalidStateError): it can be
 * neither read nor replaced, so no command can go on, not even one that would start afresh.
 */
export async function readState(file: string): Promise<StateRead> {
  const read = await readRegularFile(file, 'a JSON file', { bytes: MAX_STATE_BYTES, what: 'state files' });
  if (read.kind === 'absent') return { kind: 'absent' };
  if (read.kind === 'not-a-file') throw new InvalidStateError([{ file, path: '', message: read.message }]);
  if (read.kind === 'unreadable') return { kind: 'invalid', problems: [{ file, path: '', message: read.message }] };
  const json = parseJsonBytes(file, read.bytes);
  if (!json.ok) return { kind: 'invalid', problems: [json.problem] };
  // Loaded here, not imported: `status` without a state file then never loads zod (see plan/shapes/schemas).
  const { stateSchema } = await import('./schema.js');
  const parsed = stateSchema().safeParse(json.raw);
  if (!parsed.success) return { kind: 'invalid', problems: zodProblems(file, parsed.error) };
  return { kind: 'ok', state: parsed.data };
}
