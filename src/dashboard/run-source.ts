import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CcaspError } from '../errors.js';
import { loadPlan } from '../plan/load.js';
import type { PlanDocument } from '../plan/document.js';
import { liveHolder } from '../state/lock.js';
import { eventsPath, lockPath, orchestratorDir, statePath } from '../state/paths.js';
import { readState, type StateRead } from '../state/read-state.js';
import { SerialWriter } from '../state/serial-writer.js';
import { buildView } from './build-view.js';
import { EventFacts } from './event-facts.js';
import { EventFollower, type TimedEvent } from './event-follower.js';
import type { DashboardView } from './view.js';

export interface SourceChange {
  /** The file is another run's now: what was sent before is void. */
  readonly reset: boolean;
  /** Events appended since the last change. */
  readonly events: readonly TimedEvent[];
  /** The new view, when anything in it changed. */
  readonly view: DashboardView | undefined;
}

/** How often the files are looked at when no change notice came (fs.watch misses some, on some file systems all). */
const POLL_MS = 500;
/**
 * How long a change notice waits before the files are read: an agent's stream appends many events a
 * second, and beside a run (`run --dashboard`) every reading costs the run's own process.
 */
const NOTICE_DELAY_MS = 150;
/** Events a page opened late gets for its feed. */
const RECENT_EVENTS = 200;

/**
 * A run as the files on disk tell it: the plan, state.json, events.jsonl and the lock. It reads them
 * again when fs.watch says a folder changed and every POLL_MS in any case, one reading at a time, and
 * tells its listeners what changed. It holds nothing the files do not say, so a page opened late,
 * reloaded, or in a second browser sees the same.
 */
export class RunSource {
  private doc: PlanDocument;
  private state: StateRead = { kind: 'absent' };
  private follower: EventFollower;
  private facts = new EventFacts();
  private recent: TimedEvent[] = [];
  private current: DashboardView | undefined;
  private currentKey = '';
  private planProblem: string | undefined;
  private readonly stamps = new Map<string, string>();
  private readonly listeners = new Set<(change: SourceChange) => void>();
  private readonly reader = new SerialWriter(() => this.read());
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;

  constructor(
    first: PlanDocument,
    private readonly root: string,
    private readonly planName: string,
  ) {
    this.doc = first;
    this.follower = new EventFollower(eventsPath(root));
  }

  get view(): DashboardView | undefined {
    return this.current;
  }

  get recentEvents(): readonly TimedEvent[] {
    return this.recent;
  }

  subscribe(listener: (change: SourceChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads everything once, then follows the files until `stop`. */
  async start(): Promise<void> {
    await this.refresh();
    for (const dir of [orchestratorDir(this.root), path.dirname(this.doc.file)]) {
      try {
        const watcher = watch(dir, () => this.nudge());
        watcher.on('error', () => undefined);
        this.watchers.push(watcher);
      } catch {
        // Not there yet, or no watching here: the polling below sees it.
      }
    }
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), POLL_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.soon);
    for (const w of this.watchers) w.close();
  }

  /** A change notice: one reading soon for however many come meanwhile. */
  private nudge(): void {
    this.soon ??= setTimeout(() => {
      this.soon = undefined;
      void this.refresh().catch(() => undefined);
    }, NOTICE_DELAY_MS);
  }

  /** Settles once a reading that began after the call is done. */
  refresh(): Promise<void> {
    return this.reader.request();
  }

  private async read(): Promise<void> {
    const step = this.follower.read();
    if (step.reset) {
      this.facts = new EventFacts();
      this.recent = [];
    }
    for (const e of step.events) this.facts.add(e);
    this.recent = [...this.recent, ...step.events].slice(-RECENT_EVENTS);

    if (await this.changed(this.doc.file)) {
      try {
        this.doc = await loadPlan(this.doc.file, this.doc.readOptions);
        this.planProblem = undefined;
      } catch (error) {
        // A person saving the plan half-way, say: the last good reading stays on the page.
        this.planProblem = error instanceof CcaspError ? error.message : String(error);
      }
    }
    const stateFile = statePath(this.root);
    if (await this.changed(stateFile)) {
      try {
        this.state = await readState(stateFile);
      } catch (error) {
        this.state = { kind: 'invalid', problems: [{ file: stateFile, path: '', message: error instanceof Error ? error.message : String(error) }] };
      }
    }
    const locked = (await liveHolder(lockPath(this.root))) !== undefined;
    const built = buildView({ doc: this.doc, planFile: this.planName, state: this.state, facts: this.facts, locked, now: new Date() });
    const view = this.planProblem ? { ...built, problems: [...built.problems, this.planProblem] } : built;
    const key = JSON.stringify({ ...view, run: { ...view.run, now: '' } });
    const viewChanged = key !== this.currentKey;
    this.currentKey = key;
    this.current = view;
    if (!step.reset && step.events.length === 0 && !viewChanged) return;
    const change: SourceChange = { reset: step.reset, events: step.events, view: viewChanged ? view : undefined };
    for (const listener of this.listeners) listener(change);
  }

  /** Whether `file` is not what it was at the last look (absent counts as a state). */
  private async changed(file: string): Promise<boolean> {
    const info = await stat(file).catch(() => undefined);
    const stamp = info ? `${info.ino}:${info.size}:${info.mtimeMs}` : 'absent';
    if (this.stamps.get(file) === stamp) return false;
    this.stamps.set(file, stamp);
    return true;
  }
}
