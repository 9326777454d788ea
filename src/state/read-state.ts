import { readFile } from 'node:fs/promises';
import type { Problem } from '../errors.js';
import { zodProblems } from '../plan/zod-problems.js';
import type { OrchestratorState } from './schema.js';

export type StateRead =
  | { readonly kind: 'absent' }
  | { readonly kind: 'ok'; readonly state: OrchestratorState }
  | { readonly kind: 'invalid'; readonly problems: readonly Problem[] };

export async function readState(file: string): Promise<StateRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
    return { kind: 'invalid', problems: [{ file, path: '', message: `cannot be read (${String(error)})` }] };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { kind: 'invalid', problems: [{ file, path: '', message: `is not valid JSON (${(error as Error).message})` }] };
  }
  // Loaded here, not imported: `status` without a state file then never loads zod (see plan/shapes/schemas).
  const { stateSchema } = await import('./schema.js');
  const parsed = stateSchema().safeParse(raw);
  if (!parsed.success) return { kind: 'invalid', problems: zodProblems(file, parsed.error) };
  return { kind: 'ok', state: parsed.data };
}
