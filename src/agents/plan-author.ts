import { CcaspError, ExitCode } from '../errors.js';
import { STRUCTURED_OUTPUT_TOOL } from './structured-report.js';

/**
 * `ccasp plan`: claude writes a plan from a product description; ccasp checks it as `validate` does
 * and sends every problem back for a corrected plan, a bounded number of times. The asking and the
 * checking are ports, so the loop is the same whether claude or a test answers.
 */

/** What claude handed in: its structured output, or why there is none. */
export type PlanAnswer = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

/** The plan as it would be written, or every problem `validate` finds in it. */
export type PlanCheck = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly problems: readonly string[] };

export interface PlanAuthorPorts {
  /** Asks claude; every ask after the first continues the same conversation. */
  ask(prompt: string): Promise<PlanAnswer>;
  check(value: unknown): Promise<PlanCheck>;
  /** Told before each correction is asked for. */
  onProblems?(problems: readonly string[], nextTry: number): void;
}

const DEFAULT_PLAN_TRIES = 3;

/** claude ended without a plan, or without a valid one after every try. */
export class PlanAuthorError extends CcaspError {
  constructor(message: string) {
    super(message, ExitCode.phaseFailed);
  }
}

export interface AuthoredPlanFile {
  readonly text: string;
  readonly tries: number;
}

export async function authorPlan(brief: string, projectRoot: string, ports: PlanAuthorPorts, tries = DEFAULT_PLAN_TRIES): Promise<AuthoredPlanFile> {
  let prompt = planPrompt(brief, projectRoot);
  for (let attempt = 1; ; attempt++) {
    const answer = await ports.ask(prompt);
    if (!answer.ok) throw new PlanAuthorError(`claude wrote no plan: ${answer.message}`);
    const checked = await ports.check(answer.value);
    if (checked.ok) return { text: checked.text, tries: attempt };
    if (attempt >= tries) {
      throw new PlanAuthorError(
        `claude's plan was still invalid after ${tries} ${tries === 1 ? 'try' : 'tries'}; nothing was written. Its last problems:\n${checked.problems.map((p) => `  ${p}`).join('\n')}`,
      );
    }
    ports.onProblems?.(checked.problems, attempt + 1);
    prompt = correctionPrompt(checked.problems);
  }
}

export function planPrompt(brief: string, projectRoot: string): string {
  return `Write a development plan for the product described below, to be carried out task by task by coding agents in the project at ${projectRoot}.

First look at the project with your read-only tools (Read, Glob, Grep, and \`git ls-files\` in Bash) so that the files and commands you name fit it: its language, layout, package manager and test runner. You cannot change anything, and need not.

Then call the ${STRUCTURED_OUTPUT_TOOL} tool once, as your last action, with the whole plan:
- name: the product's name.
- test_command: the project's command that runs its tests, if it has or will have one.
- phases: in the order they are done, each with an id ("P1", "P2", ...), a name and its tasks. A phase starts once every task of the one before it is done.
- Each task: an id unique in the plan ("P1.1", "P1.2", ...), a short imperative title, details an agent can work from alone (what to build, the behaviour expected, the edge cases), file: the files it creates or changes (paths relative to the project root, inside the project), dependencies: the ids of tasks it needs first (an earlier task in its phase or any task of an earlier phase), domain (frontend, backend, testing, deployment or general), complexity (simple, medium or complex), and verify: a shell command, run from the project root, that exits 0 only once the task is done, where one makes sense (omit it otherwise).
- Keep each task small enough for one agent session; tasks in one phase that touch different files can run at once.

The product description:
<<<
${brief.trim()}
>>>
`;
}

export function correctionPrompt(problems: readonly string[]): string {
  return `ccasp checked the plan you handed in and found ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:
${problems.map((p) => `- ${p}`).join('\n')}

Correct the plan and call the ${STRUCTURED_OUTPUT_TOOL} tool again with the whole corrected plan.
`;
}
