import type { EventBus, OrchestratorEvent } from '../../orchestrator/events.js';

/**
 * Something that shows a run: it hears every event in order and is told once when the run is over.
 * Renderers are the only place a run's output happens; the loop knows none of them.
 */
export interface RunRenderer {
  onEvent(event: OrchestratorEvent): void;
  /** The run is over, normally or by an error: stop timers and give the terminal back. Safe to call twice. */
  end(): void;
}

/** Shows nothing (`CCASP_OUTPUT=silent`): a real renderer, so no code has to ask "am I silent?". */
export function silentRenderer(): RunRenderer {
  return { onEvent: () => undefined, end: () => undefined };
}

/** Keeps every event, for tests that assert on what a run reported. */
export function recordingRenderer(): RunRenderer & { readonly events: OrchestratorEvent[]; ended: boolean } {
  const r = {
    events: [] as OrchestratorEvent[],
    ended: false,
    onEvent: (e: OrchestratorEvent) => void r.events.push(e),
    end: () => void (r.ended = true),
  };
  return r;
}

/** Subscribes each renderer on its own, so that one that throws is detached without silencing the rest. */
export function attachRenderers(bus: EventBus, renderers: readonly RunRenderer[]): void {
  for (const r of renderers) bus.subscribe((e) => r.onEvent(e));
}
