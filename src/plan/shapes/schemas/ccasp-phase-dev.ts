import * as z from 'zod';
import { needsLabel } from '../ccasp-common.js';
import { ccaspTaskStatus, dependencyList, fileEntries, issueNumber, optionalText, phaseFields, planIssue, planProgress, planSettings, taskProgressFields } from './ccasp-fields.js';
import { nonEmptyString } from './fields.js';

export const task = z
  .looseObject({
    id: nonEmptyString,
    title: optionalText,
    subject: optionalText,
    description: optionalText,
    status: ccaspTaskStatus.nullish(),
    completed: z.boolean().nullish(),
    task_type: optionalText,
    files: fileEntries.nullish(),
    acceptance_criteria: z.array(z.string()).nullish(),
    blockedBy: dependencyList.nullish(),
    assignedAgent: optionalText,
    ...taskProgressFields('completedAt'),
    error: optionalText,
  })
  .superRefine(needsLabel(['title', 'subject', 'description']));

const phase = z.looseObject({
  id: z.union([z.number(), nonEmptyString]),
  phase_id: nonEmptyString.nullish(),
  ...phaseFields('completedAt', task),
});

export const plan = z.looseObject({
  plan_id: nonEmptyString.nullish(),
  project: z.looseObject({ name: nonEmptyString, slug: nonEmptyString.nullish() }),
  ...planProgress,
  ...planSettings,
  workflow: z
    .looseObject({
      github_issue: z.looseObject({ issue_number: issueNumber.nullish(), issue_url: optionalText, auto_close: z.boolean().nullish() }).nullish(),
    })
    .nullish(),
  ...planIssue,
  agent_assignments: z.looseObject({ byDomain: z.record(z.string(), z.unknown()).nullish() }).nullish(),
  phases: z.array(phase),
});

export type RawTask = z.infer<typeof task>;
