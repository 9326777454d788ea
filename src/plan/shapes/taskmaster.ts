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
  const problem = (at: readonly PropertyKey[], message: string): void => void problems.push({ file, path: formatJsonPath(at), message });
  const tasksAt = [...keys, 'tasks'];

  const ownerOf = new Map<string, number>();
  tag.tasks.forEach((t, i) => {
    const id = String(t.id);
    if (ownerOf.has(id)) problem([...tasksAt, i, 'id'], `duplicate task id ${id} (first at ${formatJsonPath([...tasksAt, ownerOf.get(id)!])})`);
    else ownerOf.set(id, i);
  });
  const subtasksOf = (i: number): readonly RawSubtask[] => tag.tasks[i]?.subtasks ?? [];

  const items = new Map<string, Item>();
  /** Each task's items: its subtasks, or itself. */
  const itemsOf: string[][] = tag.tasks.map(() => []);
  tag.tasks.forEach((t, i) => {
    const subs = subtasksOf(i);
    if (subs.length === 0) {
      const id = String(t.id);
      if (ownerOf.get(id) === i) add({ id, owner: i, at: [...tasksAt, i], location: { task: i }, raw: t, deps: [] });
      return;
    }
    subs.forEach((s, j) => {
      const id = `${String(t.id)}.${String(s.id)}`;
      const first = items.get(id);
      if (first) problem([...tasksAt, i, 'subtasks', j, 'id'], `duplicate subtask id ${id} (first at ${formatJsonPath(first.at)})`);
      else add({ id, owner: i, at: [...tasksAt, i, 'subtasks', j], location: { task: i, subtask: j }, raw: s, deps: [] });
    });
  });
  function add(item: Item): void {
    items.set(item.id, item);
    itemsOf[item.owner]!.push(item.id);
  }

  // What each dependency names. A task's dependencies name tasks (all of their subtasks) or `3.2`
  // subtasks; a subtask's name `3.2` subtasks or, bare, a sibling, as Task Master's next-task reads them.
  const ownerDeps: Set<number>[] = tag.tasks.map(() => new Set());
  const ownerEdgeAt = new Map<string, readonly PropertyKey[]>();
  const wholeTaskDeps: string[][] = tag.tasks.map(() => []);
  const resolve = (dep: number | string, owner: number, isSubtask: boolean, at: readonly PropertyKey[], selfId: string): string[] | undefined => {
    const text = String(dep);
    const parentId = String(tag.tasks[owner]!.id);
    const named = text.includes('.') ? text : isSubtask ? `${parentId}.${text}` : text;
    if (named === selfId) return void problem(at, `${isSubtask ? 'subtask' : 'task'} ${selfId} depends on itself`);
    if (items.has(named)) {
      if (!isSubtask && items.get(named)!.owner === owner) return void problem(at, `task ${selfId} depends on its own subtask ${named}`);
      return [named];
    }
    const whole = text.includes('.') ? undefined : ownerOf.get(named);
    if (whole !== undefined && whole !== owner) return itemsOf[whole]!;
    return void problem(at, `depends on unknown ${text.includes('.') || isSubtask ? 'subtask' : 'task'} ${named}`);
  };
  tag.tasks.forEach((t, i) => {
    const isOwnItem = subtasksOf(i).length === 0;
    (t.dependencies ?? []).forEach((dep, k) => {
      const at = [...tasksAt, i, 'dependencies', k];
      const named = resolve(dep, i, false, at, String(t.id));
      if (!named) return;
      if (isOwnItem) items.get(String(t.id))?.deps.push(...named);
      else wholeTaskDeps[i]!.push(...named);
      for (const d of named) linkOwners(i, items.get(d)!.owner, at);
    });
    subtasksOf(i).forEach((s, j) => {
      const selfId = `${String(t.id)}.${String(s.id)}`;
      (s.dependencies ?? []).forEach((dep, k) => {
        const at = [...tasksAt, i, 'subtasks', j, 'dependencies', k];
        const named = resolve(dep, i, true, at, selfId);
        if (!named) return;
        items.get(selfId)?.deps.push(...named);
        for (const d of named) linkOwners(i, items.get(d)!.owner, at);
      });
    });
  });
  function linkOwners(from: number, to: number, at: readonly PropertyKey[]): void {
    if (from === to || ownerDeps[from]!.has(to)) return;
    ownerDeps[from]!.add(to);
    ownerEdgeAt.set(`${from}>${to}`, at);
  }
  // A cycle between tasks leaves no order to run them in; one within a task's subtasks is the graph check's.
  const ownerIds = tag.tasks.map((_, i) => String(i));
  for (const cycle of cyclesIn(ownerIds, (i) => (ownerDeps[Number(i)] ? [...ownerDeps[Number(i)]!].map(String) : undefined))) {
    const [a, b] = [Number(cycle[0]), Number(cycle[1] ?? cycle[0])];
    const names = [...cycle, cycle[0]!].map((i) => String(tag.tasks[Number(i)]!.id));
    problem(ownerEdgeAt.get(`${a}>${b}`) ?? [...tasksAt, a], `dependency cycle between tasks: ${names.join(' → ')}`);
  }
  if (problems.length > 0) return { ok: false, problems };

  const wave = waves(ownerDeps);
  const phaseCount = Math.max(0, ...wave.map((w) => w + 1));
  const phaseItems: Item[][] = Array.from({ length: phaseCount }, () => []);
  const locations: Location[][] = Array.from({ length: phaseCount }, () => []);
  tag.tasks.forEach((_, i) => {
    for (const id of itemsOf[i]!) {
      const item = items.get(id)!;
      phaseItems[wave[i]!]!.push(item);
      locations[wave[i]!]!.push(item.location);
    }
  });
  const phases: Phase[] = phaseItems.map((list, w) => {
    const tasks = list.map((item) => toTask(item, tag.tasks[item.owner]!, wholeTaskDeps[item.owner]!));
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
  return { ok: true, plan, writer: taskMasterWriter(keys, locations) };
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
