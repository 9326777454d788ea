import type * as z from 'zod';
import type { Problem } from '../errors.js';
import { formatJsonPath } from './json-path.js';

/** Every zod issue as a Problem naming the file and the JSON path, with the value's real type. */
export function zodProblems(file: string, error: z.ZodError, prefix: readonly PropertyKey[] = []): Problem[] {
  return error.issues.map((issue) => ({
    file,
    path: formatJsonPath([...prefix, ...issue.path]),
    message: issue.message,
  }));
}
