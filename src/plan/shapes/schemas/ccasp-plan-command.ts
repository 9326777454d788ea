import * as z from 'zod';
import { needsLabel } from '../ccasp-common.js';
import { ccaspTaskStatus, dependencyList, fileEntries, optionalText, phaseFields, planIssue, planProgress, planSettings, taskProgressFields } from './ccasp-fields.js';
import { nonEmptyString } from './fields.js';

export const task = z
  .looseObject({
    id: nonEmptyString,
    title: optionalText,
    description: optionalText,
    completed: z.boolean().nullish(),
    blocked: z.boolean().nullish(),
    status: ccaspTaskStatus.nullish(),
    // `/phase-track` honours either name when an LLM adds one.
    blockedBy: dependencyList.nullish(),
    depends_on: dependencyList.nullish(),
    files: fileEntries.nullish(),
    ...taskProgressFields('completedAt'),
  })
  .superRefine(needsLabel(['description', 'title']));

const phase = z.looseObject({ id: z.union([z.number(), nonEmptyString]), ...phaseFields('completedAt', task) });

export const plan = z.looseObject({
  plan_id: nonEmptyString,
  project: z.looseObject({ name: nonEmptyString }),
  ...planProgress,
  ...planIssue,
  ...planSettings,
  phases: z.array(phase),
});

export type RawTask = z.infer<typeof task>;
