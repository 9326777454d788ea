import type { AgentResult, AttemptResult, ProcessEnd } from '../../src/agents/attempt.js';
import type { AgentRequest } from '../../src/agents/request.js';
import type { BudgetPolicy } from '../../src/orchestrator/budget.js';
import type { OrchestratorEvent } from '../../src/orchestrator/events.js';
import type { WorkCheck } from '../../src/verify/check-work.js';
import type { RunPorts, RunSettings } from '../../src/orchestrator/ports.js';
import { runPlan, type RunResult } from '../../src/orchestrator/run-plan.js';
import { RunState } from '../../src/orchestrator/run-state.js';
import { newState } from '../../src/state/new-state.js';
import type { Phase, Plan, Task } from '../../src/plan/model.js';
import type { OrchestratorState } from '../../src/state/schema.js';
import type { Integration, Workspace } from '../../src/worktree/workspace.js';

/**
 * The run loop against fake ports: agents are functions of their request, the clock and sleeps are
 * virtual, and every save records what the files would hold at that moment. Runs in milliseconds.
 */

export function task(id: string, fields: Partial<Task> = {}): Task {
  return { id, title: `Task ${id}`, files: [], fileAt: [], simple: false, dependencies: [], status: 'pending', at: id, dependencyField: 'dependencies', ...fields };
}

export function phase(id: string, tasks: Task[], fields: Partial<Phase> = {}): Phase {
  return { id, name: `Phase ${id}`, status: 'pending', tasks, at: id, ...fields };
}

export function plan(...phases: Phase[]): Plan {
  return { id: 'plan', name: 'Plan', shape: 'canonical', phases };
}

const USAGE = { inputTokens: 100, outputTokens: 50, cacheCreationTokens: 0, cacheReadTokens: 0 };

/** What an agent does with its request. */
export type Agent = (request: AgentRequest, signal: AbortSignal) => AttemptResult | Promise<AttemptResult>;

/** claude's result line with `text` as its answer. */
export function answer(request: AgentRequest, text: string, fields: Partial<AgentResult> = {}, end: ProcessEnd = { kind: 'exited', code: 0 }): AttemptResult {
  return {
    end,
    result: { isError: false, subtype: 'success', text, errors: [], sessionId: request.sessionId, numTurns: 1, durationMs: 1000, costUsd: 0.01, usage: USAGE, denials: [], ...fields },
    apiRetries: [],
    sessionId: request.sessionId,
    logFile: `logs/${request.task.id}.${request.attempt}.jsonl`,
    stderrTail: '',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    durationMs: 1000,
  };
}

/** How the process ended, without a result line. */
export function ended(request: AgentRequest, end: ProcessEnd): AttemptResult {
  const { result: _, ...rest } = answer(request, '');
  return { ...rest, end };
}

export const complete = (request: AgentRequest, artifacts: string[] = [], summary = `did ${request.task.id}`) =>
  answer(request, `TASK_COMPLETE: ${request.task.id}\nSTATUS: completed\nARTIFACTS: [${artifacts.join(', ')}]\nSUMMARY: ${summary}`);
export const blocked = (request: AgentRequest, blocker: string) =>
  answer(request, `TASK_BLOCKED: ${request.task.id}\nBLOCKER: ${blocker}\nSUGGESTED_ACTION: ask someone`);
export const failed = (request: AgentRequest, error: string) => answer(request, `TASK_FAILED: ${request.task.id}\nERROR: ${error}`);

/** An agent the test finishes by hand, to order what runs at once: `release` completes it, `end` ends it with any result. */
export function held(): { agent: Agent; release(taskId: string): void; end(taskId: string, result: (request: AgentRequest) => AttemptResult): void; started: () => string[] } {
  const waiting = new Map<string, (r: AttemptResult) => void>();
  const requests = new Map<string, AgentRequest>();
  const started: string[] = [];
  return {
    agent: (request, signal) =>
      new Promise((resolve) => {
        started.push(request.task.id);
        requests.set(request.task.id, request);
        waiting.set(request.task.id, resolve);
        signal.addEventListener('abort', () => resolve(ended(request, { kind: 'cancelled' })), { once: true });
      }),
    release(taskId) {
      this.end(taskId, complete);
    },
    end(taskId, result) {
      const resolve = waiting.get(taskId);
      if (!resolve) throw new Error(`${taskId} is not running`);
      waiting.delete(taskId);
      resolve(result(requests.get(taskId)!));
    },
    started: () => [...started],
  };
}

export interface Saved {
  readonly books: OrchestratorState;
  readonly statuses: Record<string, string>;
}

export interface Harness {
  readonly run: RunState;
  readonly events: OrchestratorEvent[];
  readonly requests: AgentRequest[];
  readonly saves: Saved[];
  readonly memory: { text: string | undefined; writes: number };
  readonly stop: AbortController;
  /** Runs the plan to its end. */
  start(): Promise<RunResult>;
  types(): string[];
  /** The last save's state.json. */
  onDisk(): Saved;
}

export interface HarnessOptions {
  readonly agent: Agent;
  readonly books?: OrchestratorState;
  readonly settings?: Partial<RunSettings>;
  readonly budget?: Partial<BudgetPolicy>;
  readonly check?: (task: Task, attempt: number) => WorkCheck;
  readonly fingerprint?: (attempt: number) => string | undefined;
  readonly gate?: (phase: Phase) => { ok: boolean; detail: string } | undefined;
  readonly worktrees?: { readonly integrate: (task: Task, attempt: number) => Integration; readonly workspace?: (task: Task, attempt: number, afterConflict: boolean) => Workspace };
  readonly save?: (run: RunState) => void;
  readonly memory?: string;
  /** Whether claude would find a session's transcript; by default it keeps every session it ran. */
  readonly transcript?: (sessionId: string, cwd: string | undefined) => boolean;
}

export function harness(p: Plan, options: HarnessOptions): Harness {
  const books = options.books ?? newState(p, 'plan/PROGRESS.json', '2026-01-01T00:00:00.000Z');
  const run = new RunState(p, books);
  const events: OrchestratorEvent[] = [];
  const requests: AgentRequest[] = [];
  const saves: Saved[] = [];
  const memory = { text: options.memory, writes: 0 };
  const stop = new AbortController();
  let clock = Date.parse('2026-01-01T00:00:00.000Z');
  let sessions = 0;
  const attemptOf = (t: Task) => run.attemptsOf(t.id).length;
  const ports: RunPorts = {
    route: (t) => ({ specialist: 'l2-general-specialist', model: t.simple ? 'haiku' : 'sonnet', domain: 'general', inferred: false }),
    async delegate(request, signal, onSpawn) {
      requests.push(request);
      onSpawn({ pid: 1000 + requests.length });
      const result = await options.agent(request, signal);
      // As claude's delegate: a session it is asked to resume is continued, unless the agent says otherwise.
      return request.resume && !('resumed' in result) ? { ...result, resumed: request.resume.sessionId } : result;
    },
    async sessionExists(sessionId, cwd) {
      return options.transcript?.(sessionId, cwd) ?? requests.some((r) => r.sessionId === sessionId);
    },
    async checkWork(t) {
      return options.check?.(t, attemptOf(t) + 1) ?? { missing: [], outside: [] };
    },
    async runGate(ph) {
      return options.gate?.(ph);
    },
    async fingerprint() {
      return options.fingerprint?.(requests.length) ?? `files after request ${requests.length}`;
    },
    ...(options.worktrees
      ? {
          async workspace(t: Task, attempt: number, o: { afterConflict: boolean }) {
            return options.worktrees!.workspace?.(t, attempt, o.afterConflict) ?? { cwd: `/wt/${t.id}`, branch: `ccasp/${t.id}`, release: async () => undefined };
          },
          async integrate(t: Task) {
            return options.worktrees!.integrate(t, attemptOf(t) + 1);
          },
        }
      : {}),
    readMemory: async () => memory.text,
    async writeMemory(text) {
      memory.text = text;
      memory.writes++;
      return '.claude/orchestrator/memory.md';
    },
    async save() {
      options.save?.(run);
      const at = new Date(clock).toISOString();
      saves.push({ books: structuredClone(run.books(at)), statuses: Object.fromEntries(p.phases.flatMap((ph) => ph.tasks.map((t) => [t.id, run.statusOf(t.id)]))) });
    },
    emit: (e) => void events.push(e),
    newSessionId: () => `00000000-0000-4000-8000-${String(++sessions).padStart(12, '0')}`,
    now: () => new Date(clock),
    async sleep(ms, signal) {
      if (!signal.aborted) clock += ms;
    },
  };
  const settings: RunSettings = {
    concurrency: 1,
    maxRetries: 3,
    retryBackoffMs: 1000,
    retryBlocked: false,
    waitForRateLimit: true,
    budget: { tokenLimit: null, maxCostUsd: null, compactionThreshold: 0.8, hardLimit: false, ...options.budget },
    ...options.settings,
  };
  return {
    run,
    events,
    requests,
    saves,
    memory,
    stop,
    start: () => runPlan(run, settings, ports, stop.signal),
    types: () => events.map((e) => e.type),
    onDisk: () => saves.at(-1)!,
  };
}

/** The events of one type, narrowed. */
export function eventsOf<T extends OrchestratorEvent['type']>(events: readonly OrchestratorEvent[], type: T): Extract<OrchestratorEvent, { type: T }>[] {
  return events.filter((e): e is Extract<OrchestratorEvent, { type: T }> => e.type === type);
}
