import * as z from 'zod';
import { needsLabel } from '../ccasp-common.js';
import { ccaspPhaseStatus, ccaspTaskStatus, dependencyList, issueNumber, optionalText, optionalTimestamp, planSettings, taskProgressFields } from './ccasp-fields.js';
import { nonEmptyString } from './fields.js';

export const task = z
  .looseObject({
    id: nonEmptyString,
    title: optionalText,
    description: optionalText,
    completed: z.boolean().nullish(),
    blocked: z.boolean().nullish(),
    // Always null from the generator; a single id is accepted as CCASP's tracker does.
    blockedBy: z.union([dependencyList, nonEmptyString]).nullish(),
    // Only ever written by ccasp, for states the booleans cannot say.
    status: ccaspTaskStatus.nullish(),
    ...taskProgressFields('completedAt'),
  })
  .superRefine(needsLabel(['description', 'title']));

const phase = z.looseObject({
  name: nonEmptyString,
  status: ccaspPhaseStatus.nullish(),
  tasks: z.array(task),
});

export const plan = z.looseObject({
  plan_id: nonEmptyString,
  phase_id: nonEmptyString,
  project_name: nonEmptyString,
  status: optionalText,
  metrics: z.looseObject({
    totalTasks: z.number().int().nonnegative().nullish(),
    completedTasks: z.number().int().nonnegative().nullish(),
  }),
  ...planSettings,
  started_at: optionalTimestamp,
  completed_at: optionalTimestamp,
  phases: z.array(phase).length(1, { message: 'a roadmap phase file holds exactly one phase' }),
});

/** The parent ROADMAP.json keeps the phase's GitHub issue; the phase file has none of its own. */
export const roadmapFile = z.looseObject({
  phases: z.array(
    z.looseObject({ phase_id: z.string(), github_issue_number: issueNumber.nullish(), github_issue_url: optionalText }),
  ),
});

export type RawTask = z.infer<typeof task>;
export type RoadmapFileSchema = typeof roadmapFile;
