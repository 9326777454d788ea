import * as z from 'zod';
import { needsLabel } from '../ccasp-common.js';
import { ccaspTaskStatus, optionalText, phaseFields, planIssue, planProgress, planSettings, taskProgressFields } from './ccasp-fields.js';
import { nonEmptyString } from './fields.js';

const rawId = z.union([z.number().int().nonnegative(), nonEmptyString], {
  error: 'expected a whole-number id (or a non-empty string)',
});

export const task = z
  .looseObject({
    id: rawId,
    name: optionalText,
    title: optionalText,
    description: optionalText,
    status: ccaspTaskStatus.nullish(),
    completed: z.boolean().nullish(),
    // The planner writes no dependencies; ones added by hand name tasks of the same phase.
    blockedBy: z.array(rawId).nullish(),
    ...taskProgressFields('completed_at'),
  })
  .superRefine(needsLabel(['name', 'title', 'description']));

const phase = z.looseObject({ id: rawId, ...phaseFields('completed_at', task) });

export const plan = z.looseObject({
  slug: nonEmptyString,
  project: z.looseObject({ name: nonEmptyString }),
  ...planProgress,
  ...planIssue,
  ...planSettings,
  phases: z.array(phase),
});

export type RawTask = z.infer<typeof task>;
