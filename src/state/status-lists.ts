import type { TaskStatus } from '../plan/model.js';

/** Tasks in plan order whose ids are listed together, so a status change remakes one group's text. */
const GROUP = 32;

type Kind = 'completed' | 'pending';

/**
 * state.json's `completedTasks` and `pendingTasks` (ids in plan order; pending includes running),
 * as the JSON text JSON.stringify gives them one level in. Both lists change at every task's start
 * and end, and stringifying them whole each time cost as much as the rest of the books together on
 * a large plan; the text is kept per group of tasks and remade only for the group that changed.
 */
export class StatusLists {
  private readonly ids: readonly string[];
  private readonly groupOf = new Map<string, number>();
  private readonly texts: (Record<Kind, string> | undefined)[];

  /** `statuses` is the run's live map, in plan order; no task is added to it later. */
  constructor(private readonly statuses: ReadonlyMap<string, TaskStatus>) {
    this.ids = [...statuses.keys()];
    this.ids.forEach((id, i) => this.groupOf.set(id, Math.floor(i / GROUP)));
    this.texts = new Array<undefined>(Math.ceil(this.ids.length / GROUP)).fill(undefined);
  }

  /** The task's status changed. */
  changed(taskId: string): void {
    const group = this.groupOf.get(taskId);
    if (group !== undefined) this.texts[group] = undefined;
  }

  /** `JSON.stringify(list, null, 2)` with each line after the first moved in by two spaces. */
  json(kind: Kind): string {
    const parts: string[] = [];
    for (let g = 0; g < this.texts.length; g++) {
      const text = (this.texts[g] ??= this.group(g))[kind];
      if (text !== '') parts.push(text);
    }
    return parts.length === 0 ? '[]' : `[\n    ${parts.join(',\n    ')}\n  ]`;
  }

  private group(g: number): Record<Kind, string> {
    const completed: string[] = [];
    const pending: string[] = [];
    for (const id of this.ids.slice(g * GROUP, (g + 1) * GROUP)) {
      const status = this.statuses.get(id);
      if (status === 'completed') completed.push(JSON.stringify(id));
      else if (status === 'pending' || status === 'in_progress') pending.push(JSON.stringify(id));
    }
    return { completed: completed.join(',\n    '), pending: pending.join(',\n    ') };
  }
}
