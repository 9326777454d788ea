import { DOMAINS, PHASE_STATUSES, TASK_STATUSES } from '../model.js';
import type { RawCanonicalPlan } from './canonical.js';
import { COMPLEXITIES, isIsoTimestamp } from './fields.js';
import { isObject, type JsonObject } from './shape.js';

/**
 * True only when the canonical schema would accept `raw` and return it unchanged, checked by hand
 * because zod needs ~20 ms of cold start to check 1,000 tasks, which is most of `ccasp status`'s
 * budget. It may say false for a valid plan (an id with spaces around it, which zod trims; an
 * integer beyond 2^53): the schema then decides, and the schema alone writes every message.
 * test/plan/canonical-fast.test.ts holds it to that with generated plans.
 */
export function fitsCanonical(raw: unknown): raw is RawCanonicalPlan {
  if (!isObject(raw)) return false;
  return (
    isName(raw['name']) &&
    optional(raw, 'plan_id', isName) &&
    optional(raw, 'status', isString) &&
    optional(raw, 'completion_percentage', isPercentage) &&
    optional(raw, 'github', isGithubLink) &&
    optional(raw, 'max_parallel_agents', isPositiveInt) &&
    optional(raw, 'test_command', isName) &&
    optional(raw, 'token_limit', isPositiveInt) &&
    Array.isArray(raw['phases']) &&
    raw['phases'].every(isPhase)
  );
}

const TASK_STATUS = new Set<unknown>(TASK_STATUSES);
const PHASE_STATUS = new Set<unknown>(PHASE_STATUSES);
const DOMAIN = new Set<unknown>(DOMAINS);
const COMPLEXITY = new Set<unknown>(COMPLEXITIES);

function isPhase(value: unknown): boolean {
  return (
    isObject(value) &&
    isName(value['id']) &&
    isName(value['name']) &&
    optional(value, 'status', (v) => PHASE_STATUS.has(v)) &&
    optional(value, 'completedAt', isTimestamp) &&
    Array.isArray(value['tasks']) &&
    value['tasks'].every(isTask)
  );
}

function isTask(value: unknown): boolean {
  return (
    isObject(value) &&
    isName(value['id']) &&
    isName(value['title']) &&
    TASK_STATUS.has(value['status']) &&
    optional(value, 'details', isString) &&
    optional(value, 'file', (v) => isName(v) || isNameList(v)) &&
    optional(value, 'domain', (v) => DOMAIN.has(v)) &&
    optional(value, 'model', isName) &&
    optional(value, 'complexity', (v) => COMPLEXITY.has(v)) &&
    optional(value, 'dependencies', isNameList) &&
    optional(value, 'verify', isName) &&
    optional(value, 'completedAt', isTimestamp) &&
    optional(value, 'completedBy', isString) &&
    optional(value, 'blocker', isString) &&
    optional(value, 'attempts', (v) => isSafeInt(v) && v >= 0)
  );
}

function isGithubLink(value: unknown): boolean {
  return isObject(value) && isName(value['owner']) && isName(value['repo']) && isPositiveInt(value['issue']);
}

/** An absent key passes, as with the schema's `.optional()`; a present one must hold a valid value. */
function optional(object: JsonObject, key: string, check: (value: unknown) => boolean): boolean {
  const value = object[key];
  return value === undefined || check(value);
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

/** The schema's non-empty string, but only when trimming would leave it as it is. */
function isName(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0 && value.trim() === value;
}

function isNameList(value: unknown): boolean {
  return Array.isArray(value) && value.every(isName);
}

function isTimestamp(value: unknown): boolean {
  return typeof value === 'string' && isIsoTimestamp(value);
}

function isSafeInt(value: unknown): value is number {
  return Number.isSafeInteger(value);
}

function isPositiveInt(value: unknown): boolean {
  return isSafeInt(value) && value > 0;
}

function isPercentage(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 100;
}
