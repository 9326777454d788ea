import * as z from 'zod';
import { DOMAINS, PHASE_STATUSES, TASK_STATUSES } from '../../model.js';
import { COMPLEXITIES, isIsoTimestamp } from '../fields.js';
import { isToolRule, TOOL_RULE_EXPECTED } from '../../tool-rules.js';

/*
 * The plan schemas live in this folder, and nothing imports it statically: a shape loads its
 * schemas with import() on the first plan that needs them, so a command that reads no plan never
 * loads zod, and one that reads a plan builds only its shape's schemas. This module holds the field
 * schemas every shape shares.
 */

export const isoTimestamp = z.string().refine(isIsoTimestamp, { message: 'expected an ISO-8601 timestamp' });
export const nonEmptyString = z.string().trim().min(1, { message: 'must not be empty' });
export const taskStatus = z.enum(TASK_STATUSES);
export const phaseStatus = z.enum(PHASE_STATUSES);
export const domain = z.enum(DOMAINS);
/** A non-negative whole number of attempts. */
export const attemptCount = z.number().int().nonnegative();
export const complexity = z.enum(COMPLEXITIES);
/** A tool permission rule in claude's syntax (tool-rules.ts). */
export const toolRule = z.string().trim().refine(isToolRule, { message: TOOL_RULE_EXPECTED });
/** `{"allow": [...], "deny": [...]}`, as claude's own settings file writes permissions; strict, so a misspelt key is reported. */
export const toolPermissions = z.strictObject({ allow: z.array(toolRule).optional(), deny: z.array(toolRule).optional() });
