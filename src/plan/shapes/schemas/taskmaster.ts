import * as z from 'zod';
import { nonEmptyString } from './fields.js';

/*
 * Task Master's tasks.json (npm `task-master-ai`), as its file storage writes it: task ids are
 * numbers (or their text, in newer files), subtask ids numbers within their parent, dependencies
 * numbers or text, `"3.2"` naming subtask 2 of task 3. Loose objects: every field Task Master adds
 * is kept and left alone.
 */

export const TASKMASTER_STATUSES = ['pending', 'in-progress', 'done', 'review', 'deferred', 'cancelled', 'blocked', 'completed'] as const;
export type TaskMasterStatus = (typeof TASKMASTER_STATUSES)[number];

const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/, { message: 'expected a task number' })]);
const dependency = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+(?:\.\d+)?$/, { message: 'expected a task id such as 3 or "3.2"' })]);
const status = z.enum(TASKMASTER_STATUSES, { message: `expected one of ${TASKMASTER_STATUSES.join(', ')}` });
const text = z.string().nullish();

const work = {
  id,
  title: nonEmptyString,
  description: text,
  details: text,
  testStrategy: text,
  priority: text,
  // Task Master reads a missing status as pending.
  status: status.optional(),
  dependencies: z.array(dependency).nullish(),
};

export const subtask = z.looseObject(work);
export const task = z.looseObject({ ...work, subtasks: z.array(subtask).nullish() });
export const tagged = z.looseObject({ tasks: z.array(task) });

export type RawSubtask = z.infer<typeof subtask>;
export type RawTask = z.infer<typeof task>;
export type RawTag = z.infer<typeof tagged>;

/** `.taskmaster/state.json`, where Task Master keeps the tag it works in. */
export const state = z.looseObject({ currentTag: nonEmptyString.optional() });
