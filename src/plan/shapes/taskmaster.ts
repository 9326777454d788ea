import path from 'node:path';
import type { Problem } from '../../errors.js';
import { cyclesIn } from '../graph.js';
import { formatJsonPath } from '../json-path.js';
import type { Phase, Plan, Task, TaskStatus } from '../model.js';
import { phaseStatusOf } from '../progress.js';
import { readJsonFile } from '../read-file.js';
import { zodProblems } from '../zod-problems.js';
import { slugify } from './fields.js';
import type { RawSubtask, RawTag, RawTask, TaskMasterStatus } from './schemas/taskmaster.js';
import { isObject, objectAt, type JsonObject, type PlanReadOptions, type PlanShapeReader, type PlanWriter, type ReadResult } from './shape.js';

/*
 * Task Master's `.taskmaster/tasks/tasks.json` (docs/taskmaster.md). The rule: a task with subtasks
 * is worked through its subtasks, one ccasp task each (`3.2`); a task without is one ccasp task
 * (`3`). Phases are waves: a task (with all its subtasks) goes in the first wave after every task it
 * or its subtasks depend on, so phases running in order keep every dependency, and tasks that do not
 * depend on each other run side by side.
 */

const DEFAULT_TAG = 'master';

/** Task Master's statuses as ccasp reads them; review and deferred wait for a person. */
const READ_STATUS: Readonly<Record<TaskMasterStatus, TaskStatus>> = {
  pending: 'pending',
  'in-progress': 'in_progress',
  done: 'completed',
  completed: 'completed',
  // tm-core counts cancelled as complete for dependencies (TERMINAL_COMPLETE_STATUSES).
  cancelled: 'skipped',
  blocked: 'blocked',
  review: 'blocked',
  deferred: 'blocked',
};

const BLOCKER: Partial<Record<TaskMasterStatus, string>> = {
  review: 'waiting for review (Task Master status "review")',
  deferred: 'deferred in Task Master',
};

/** ccasp's statuses in Task Master's words; it has no "failed", and a failed task waits for a person. */
const WRITE_STATUS: Readonly<Record<TaskStatus, TaskMasterStatus>> = {
  pending: 'pending',
  in_progress: 'in-progress',
  completed: 'done',
  blocked: 'blocked',
  failed: 'blocked',
  skipped: 'cancelled',
};

function readStatus(status: unknown): TaskStatus {
  return typeof status === 'string' && status in READ_STATUS ? READ_STATUS[status as TaskMasterStatus] : 'pending';
}

/** Where one ccasp task lives in the tag's `tasks`: a task, or one of its subtasks. */
interface Location {
  readonly task: number;
  readonly subtask?: number;
}

/** A tagged file keeps each tag's `{tasks, metadata}` under the tag's name; a legacy one has `tasks` at the top. */
function isLegacy(raw: JsonObject): boolean {
  return Array.isArray(raw.tasks);
}

function isTag(value: unknown): boolean {
  return isObject(value) && Array.isArray(value.tasks);
}

export const taskMasterShape: PlanShapeReader = {
  shape: 'taskmaster',
  // Every other shape has `phases`; a `tasks` list, at the top or in a tag, is Task Master's (a
  // broken tag is then reported as one, not as a canonical plan missing its phases).
  matches(raw) {
    return isObject(raw) && !('phases' in raw) && (isLegacy(raw) || Object.values(raw).some(isTag));
  },
  read: async (raw, file, options) => {
    const top = objectAt(raw, []);
    const chosen = await chooseTag(top, file, options);
    if (!chosen.ok) return chosen;
    const keys = isLegacy(top) ? [] : [chosen.tag];
    const { tagged } = await import('./schemas/taskmaster.js');
    const parsed = tagged.safeParse(isLegacy(top) ? top : top[chosen.tag]);
    if (!parsed.success) return { ok: false, problems: zodProblems(file, parsed.error, keys) };
    return normalise(parsed.data, chosen.tag, keys, file);
  },
};

type TagChoice = { readonly ok: true; readonly tag: string } | { readonly ok: false; readonly problems: Problem[] };

/** `--tag`, else the tag Task Master itself is on (`.taskmaster/state.json`), else master: what `task-master list` shows. */
async function chooseTag(raw: JsonObject, file: string, options: PlanReadOptions): Promise<TagChoice> {
  const fail = (f: string, at: string, message: string): TagChoice => ({ ok: false, problems: [{ file: f, path: at, message }] });
  if (isLegacy(raw)) {
    if (options.tag !== undefined && options.tag !== DEFAULT_TAG) {
      return fail(file, '', `has no tags (Task Master's older untagged format), so --tag ${options.tag} names nothing; its tasks are the "${DEFAULT_TAG}" tag`);
    }
    return { ok: true, tag: DEFAULT_TAG };
  }
  let tag = options.tag;
  let from = `--tag ${options.tag}`;
  if (tag === undefined) {
    const stateFile = path.join(path.dirname(path.dirname(file)), 'state.json');
    const state = await currentTag(stateFile);
    if (!state.ok) return state;
    tag = state.tag ?? DEFAULT_TAG;
    from = state.tag === undefined ? 'the default tag' : `the current tag in ${stateFile}`;
  }
  if (!Object.hasOwn(raw, tag)) {
    return fail(file, '', `has no tag "${tag}" (${from}); its tags are ${Object.keys(raw).join(', ')}. Pick one with --tag`);
  }
  return { ok: true, tag };
}

async function currentTag(stateFile: string): Promise<{ ok: true; tag?: string } | { ok: false; problems: Problem[] }> {
  const read = await readJsonFile(stateFile);
  if (!read.ok) return read.problem.message === 'not found' ? { ok: true } : { ok: false, problems: [read.problem] };
  const { state } = await import('./schemas/taskmaster.js');
  const parsed = state.safeParse(read.raw);
  return parsed.success ? { ok: true, tag: parsed.data.currentTag } : { ok: false, problems: zodProblems(stateFile, parsed.error) };
}

/** One piece of work: a task without subtasks, or a subtask. */
interface Item {
  readonly id: string;
  readonly owner: number;
  readonly at: readonly PropertyKey[];
  readonly location: Location;
  readonly raw: RawTask | RawSubtask;
  /**
   * The ids of the items it waits for. A subtask's are one per entry of its own `dependencies`, in
   * order, so the graph check's problem paths (a cycle among siblings) index the file's list.
   */
  readonly deps: string[];
}

function normalise(tag: RawTag, tagName: string, keys: readonly string[], file: string): ReadResult {
  const problems: Problem[] = [];
  const tasksAt = [...keys, 'tasks'];
  const problem: Report = (at, message) => void problems.push({ file, path: formatJsonPath(at), message });
  const work = indexWork(tag, tasksAt, problem);
  const links = linkDependencies(tag, work, tasksAt, problem);
  checkTaskCycles(tag, links, tasksAt, problem);
  if (problems.length > 0) return { ok: false, problems };

  const wave = waves(links.taskDeps);
  const phaseCount = Math.max(0, ...wave.map((w) => w + 1));
  const phaseItems: Item[][] = Array.from({ length: phaseCount }, () => []);
  tag.tasks.forEach((_, i) => {
    for (const id of work.itemsOf[i]!) phaseItems[wave[i]!]!.push(work.items.get(id)!);
  });
  const phases: Phase[] = phaseItems.map((list, w) => {
    const tasks = list.map((item) => toTask(item, tag.tasks[item.owner]!, links.wholeTaskDeps[item.owner]!));
    const owners = [...new Set(list.map((item) => String(tag.tasks[item.owner]!.id)))];
    return {
      id: `wave-${w + 1}`,
      name: `${owners.length === 1 ? 'Task' : 'Tasks'} ${owners.join(', ')}`,
      status: phaseStatusOf(tasks.map((t) => t.status)),
      tasks,
      at: formatJsonPath(tasksAt),
    };
  });
  const plan: Plan = {
    id: keys.length === 0 ? 'taskmaster' : `taskmaster-${slugify(tagName)}`,
    name: keys.length === 0 ? 'Task Master tasks' : `Task Master tag ${tagName}`,
    shape: 'taskmaster',
    tag: tagName,
    phases,
  };
  const locations = phaseItems.map((list) => list.map((item) => item.location));
  return { ok: true, plan, writer: taskMasterWriter(keys, locations) };
}

type Report = (at: readonly PropertyKey[], message: string) => void;

interface Work {
  /** Task index by the task's id. */
  readonly ownerOf: ReadonlyMap<string, number>;
  readonly items: ReadonlyMap<string, Item>;
  /** Each task's items: its subtasks, or itself. */
  readonly itemsOf: readonly (readonly string[])[];
}

/** Every piece of work by its id (`3`, `3.2`), duplicate ids reported. */
function indexWork(tag: RawTag, tasksAt: readonly PropertyKey[], problem: Report): Work {
  const ownerOf = new Map<string, number>();
  const items = new Map<string, Item>();
  const itemsOf: string[][] = tag.tasks.map(() => []);
  const add = (item: Item): void => {
    items.set(item.id, item);
    itemsOf[item.owner]!.push(item.id);
  };
  tag.tasks.forEach((t, i) => {
    const id = String(t.id);
    const first = ownerOf.get(id);
    if (first !== undefined) return problem([...tasksAt, i, 'id'], `duplicate task id ${id} (first at ${formatJsonPath([...tasksAt, first])})`);
    ownerOf.set(id, i);
    const subtasks = t.subtasks ?? [];
    if (subtasks.length === 0) return add({ id, owner: i, at: [...tasksAt, i], location: { task: i }, raw: t, deps: [] });
    subtasks.forEach((s, j) => {
      const subId = `${id}.${String(s.id)}`;
      const at = [...tasksAt, i, 'subtasks', j];
      const earlier = items.get(subId);
      if (earlier) problem([...at, 'id'], `duplicate subtask id ${subId} (first at ${formatJsonPath(earlier.at)})`);
      else add({ id: subId, owner: i, at, location: { task: i, subtask: j }, raw: s, deps: [] });
    });
  });
  return { ownerOf, items, itemsOf };
}

interface Links {
  /** The tasks each task (through itself or its subtasks) waits for, and where the file first says so. */
  readonly taskDeps: readonly ReadonlySet<number>[];
  readonly taskDepAt: ReadonlyMap<string, readonly PropertyKey[]>;
  /** A task-with-subtasks' own dependencies, as items: each of its subtasks waits for them. */
  readonly wholeTaskDeps: readonly (readonly string[])[];
}

/**
 * What each dependency names, filled into the items. A task's dependencies name tasks (all of their
 * items) or `3.2` subtasks; a subtask's name `3.2` subtasks or, bare, a sibling, as Task Master's
 * next-task reads them.
 */
function linkDependencies(tag: RawTag, work: Work, tasksAt: readonly PropertyKey[], problem: Report): Links {
  const taskDeps = tag.tasks.map(() => new Set<number>());
  const taskDepAt = new Map<string, readonly PropertyKey[]>();
  const wholeTaskDeps: string[][] = tag.tasks.map(() => []);
  const resolve = (dep: number | string, owner: number, self: string | undefined, at: readonly PropertyKey[]): readonly string[] => {
    const text = String(dep);
    const isSubtask = self?.includes('.') ?? false;
    const named = text.includes('.') || !isSubtask ? text : `${String(tag.tasks[owner]!.id)}.${text}`;
    const item = work.items.get(named);
    const whole = text.includes('.') ? undefined : work.ownerOf.get(named);
    if (named === self || (!isSubtask && whole === owner)) problem(at, `${isSubtask ? 'subtask' : 'task'} ${named} depends on itself`);
    else if (item && !isSubtask && item.owner === owner) problem(at, `task ${String(tag.tasks[owner]!.id)} depends on its own subtask ${named}`);
    else if (item) return [named];
    else if (whole !== undefined) return work.itemsOf[whole]!;
    else problem(at, `depends on unknown ${text.includes('.') || isSubtask ? 'subtask' : 'task'} ${named}`);
    return [];
  };
  const link = (owner: number, named: readonly string[], at: readonly PropertyKey[]): void => {
    for (const id of named) {
      const to = work.items.get(id)!.owner;
      if (to === owner || taskDeps[owner]!.has(to)) continue;
      taskDeps[owner]!.add(to);
      taskDepAt.set(`${owner}>${to}`, at);
    }
  };
  tag.tasks.forEach((t, i) => {
    if (work.ownerOf.get(String(t.id)) !== i) return;
    const own = work.items.get(String(t.id));
    (t.dependencies ?? []).forEach((dep, k) => {
      const at = [...tasksAt, i, 'dependencies', k];
      const named = resolve(dep, i, String(t.id), at);
      (own ? own.deps : wholeTaskDeps[i]!).push(...named);
      link(i, named, at);
    });
    (t.subtasks ?? []).forEach((s, j) => {
      const item = work.items.get(`${String(t.id)}.${String(s.id)}`);
      // A duplicate id is reported already; its dependencies would only add noise.
      if (item?.location.subtask !== j) return;
      (s.dependencies ?? []).forEach((dep, k) => {
        const at = [...tasksAt, i, 'subtasks', j, 'dependencies', k];
        const named = resolve(dep, i, item.id, at);
        item.deps.push(...named);
        link(i, named, at);
      });
    });
  });
  return { taskDeps, taskDepAt, wholeTaskDeps };
}

/** A cycle between tasks leaves no order to run them in; one among a task's subtasks is the graph check's. */
function checkTaskCycles(tag: RawTag, links: Links, tasksAt: readonly PropertyKey[], problem: Report): void {
  const deps = links.taskDeps.map((set) => [...set].map(String));
  for (const cycle of cyclesIn(deps.map((_, i) => String(i)), (i) => deps[Number(i)])) {
    const [a, b] = [Number(cycle[0]), Number(cycle[1] ?? cycle[0])];
    const names = [...cycle, cycle[0]!].map((i) => String(tag.tasks[Number(i)]!.id));
    problem(links.taskDepAt.get(`${a}>${b}`) ?? [...tasksAt, a], `dependency cycle between tasks: ${names.join(' → ')}`);
  }
}

/** Each task's wave: one after the latest wave of the tasks it waits for. */
function waves(deps: readonly ReadonlySet<number>[]): number[] {
  const wave: (number | undefined)[] = deps.map(() => undefined);
  for (let root = 0; root < deps.length; root++) {
    const stack = [root];
    while (stack.length > 0) {
      const i = stack[stack.length - 1]!;
      const open = [...deps[i]!].filter((d) => wave[d] === undefined);
      if (open.length > 0 && wave[i] === undefined) {
        stack.push(...open);
        continue;
      }
      stack.pop();
      wave[i] ??= Math.max(-1, ...[...deps[i]!].map((d) => wave[d]!)) + 1;
    }
  }
  return wave.map((w) => w ?? 0);
}

function toTask(item: Item, parent: RawTask, wholeTaskDeps: readonly string[]): Task {
  const raw = item.raw;
  const own = raw.status ?? 'pending';
  const isSubtask = item.location.subtask !== undefined;
  // An open subtask of a task marked done or cancelled is settled with it, as `set-status` on the task does.
  const parentSettled = isSubtask && (parent.status === 'done' || parent.status === 'completed' || parent.status === 'cancelled');
  // And one of a task held in review, deferred or blocked is not worked on, as Task Master's next-task never offers it.
  const parentHeld = isSubtask && READ_STATUS[parent.status ?? 'pending'] === 'blocked' && (own === 'pending' || own === 'in-progress');
  const ownSettled = READ_STATUS[own] === 'completed' || READ_STATUS[own] === 'skipped';
  const status = parentSettled && !ownSettled ? readStatus(parent.status) : parentHeld ? 'blocked' : readStatus(own);
  const blocker = parentHeld ? `task ${String(parent.id)} is ${parent.status ?? ''} in Task Master` : status === 'blocked' ? BLOCKER[own] : undefined;
  // The parent's dependencies hold for each subtask; they come after its own so problem paths index its own list.
  const dependencies = [...item.deps, ...wholeTaskDeps.filter((d) => !item.deps.includes(d))];
  return {
    id: item.id,
    title: raw.title,
    details: detailsOf(item, parent),
    files: [],
    fileAt: [],
    simple: false,
    dependencies,
    status,
    ...(blocker ? { blocker } : {}),
    at: formatJsonPath(item.at),
    dependencyField: 'dependencies',
  };
}

/** Everything Task Master says about the work, for the agent's prompt. */
function detailsOf(item: Item, parent: RawTask): string | undefined {
  const raw = item.raw;
  const parts = [
    item.location.subtask !== undefined ? `Part of task ${String(parent.id)}: ${parent.title}` : undefined,
    raw.description,
    raw.details ? `Implementation details:\n${raw.details}` : undefined,
    raw.testStrategy ? `Test strategy:\n${raw.testStrategy}` : undefined,
    (raw.priority ?? parent.priority) ? `Priority: ${raw.priority ?? parent.priority}` : undefined,
  ].filter((p): p is string => typeof p === 'string' && p.trim() !== '');
  return parts.length > 0 ? parts.join('\n\n') : undefined;
}

/**
 * Progress goes back in Task Master's own `status` and vocabulary, and nothing else: no phase or plan
 * fields (waves are ccasp's), no times or attempts (state.json keeps those). A task worked through
 * its subtasks follows them: in progress once one moved, done once all are done or cancelled.
 */
function taskMasterWriter(keys: readonly string[], locations: readonly (readonly Location[])[]): PlanWriter {
  return {
    writeTask(raw, phase, task, patch) {
      if (patch.status === undefined) return;
      const at = locations[phase]?.[task];
      if (!at) throw new Error(`plan structure changed: no task ${phase}.${task}`);
      const parent = objectAt(raw, [...keys, 'tasks', at.task]);
      const node = at.subtask === undefined ? parent : objectAt(parent, ['subtasks', at.subtask]);
      // A status that already reads as the one written stays in its own words (review stays review).
      if (readStatus(node.status) === patch.status && 'status' in node) return;
      node.status = WRITE_STATUS[patch.status];
      if (at.subtask !== undefined) followSubtasks(parent);
    },
    writePhase() {},
    writePlan() {},
  };
}

function followSubtasks(parent: JsonObject): void {
  const subs = Array.isArray(parent.subtasks) ? parent.subtasks.filter(isObject).map((s) => s.status ?? 'pending') : [];
  const settled = (s: unknown): boolean => s === 'done' || s === 'completed' || s === 'cancelled';
  if (subs.every(settled)) {
    const next = subs.every((s) => s === 'cancelled') ? 'cancelled' : 'done';
    if (!settled(parent.status)) parent.status = next;
  } else if ((parent.status ?? 'pending') === 'pending' && subs.some((s) => s !== 'pending')) {
    parent.status = 'in-progress';
  }
}
