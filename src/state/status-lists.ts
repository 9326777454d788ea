import type { TaskStatus } from '../plan/model.js';

/** Tasks in plan order whose ids are listed together, so a status change remakes one group's text. */
const GROUP = 32;

type Kind = 'completed' | 'pending';

/** One group's ids of each kind, and their JSON text. */
type Group = Record<Kind, { readonly ids: string[]; readonly text: string }>;

/**
 * state.json's `completedTasks` and `pendingTasks` (ids in plan order; pending includes running),
 * as lists and as the JSON text JSON.stringify gives them one level in. Both change at every task's
 * start and end, and making them from every task's status each time cost as much as the rest of the
 * books together on a large plan; they are kept per group of tasks and remade only for the group
 * that changed.
 */
export class StatusLists {
  private readonly ids: readonly string[];
  private readonly groupOf = new Map<string, number>();
  private readonly groups: (Group | undefined)[];

  /** `statuses` is the run's live map, in plan order; no task is added to it later. */
  constructor(private readonly statuses: ReadonlyMap<string, TaskStatus>) {
    this.ids = [...statuses.keys()];
    this.ids.forEach((id, i) => this.groupOf.set(id, Math.floor(i / GROUP)));
    this.groups = new Array<undefined>(Math.ceil(this.ids.length / GROUP)).fill(undefined);
  }

  /** The task's status changed. */
  changed(taskId: string): void {
    const group = this.groupOf.get(taskId);
    if (group !== undefined) this.groups[group] = undefined;
  }

  /** The ids, in plan order. */
  list(kind: Kind): string[] {
    return ([] as string[]).concat(...this.all().map((g) => g[kind].ids));
  }

  /** `JSON.stringify(list, null, 2)` with each line after the first moved in by two spaces. */
  json(kind: Kind): string {
    const parts = this.all()
      .map((g) => g[kind].text)
      .filter((text) => text !== '');
    return parts.length === 0 ? '[]' : `[\n    ${parts.join(',\n    ')}\n  ]`;
  }

  private all(): Group[] {
    for (let g = 0; g < this.groups.length; g++) this.groups[g] ??= this.group(g);
    return this.groups as Group[];
  }

  private group(g: number): Group {
    const completed: string[] = [];
    const pending: string[] = [];
    for (const id of this.ids.slice(g * GROUP, (g + 1) * GROUP)) {
      const status = this.statuses.get(id);
      if (status === 'completed') completed.push(id);
      else if (status === 'pending' || status === 'in_progress') pending.push(id);
    }
    const text = (ids: string[]) => ids.map((id) => JSON.stringify(id)).join(',\n    ');
    return { completed: { ids: completed, text: text(completed) }, pending: { ids: pending, text: text(pending) } };
  }
}
