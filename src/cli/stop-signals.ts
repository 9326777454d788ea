import { ExitCode } from '../errors.js';

/**
 * The signals that stop a long command cleanly. SIGHUP (its terminal closed) among them: left to its
 * default it would kill ccasp at once and leave the claude processes it started working unsupervised.
 */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The exit code of a command a signal stopped (docs/exit-codes.md). */
export const SIGNAL_EXIT: Record<StopSignal, ExitCode> = { SIGINT: ExitCode.interrupted, SIGTERM: ExitCode.terminated, SIGHUP: ExitCode.hangup };

/** Calls `onStop` once, at the first stop signal; returns what removes the handlers again. */
export function onStopSignal(onStop: (signal: StopSignal) => void): () => void {
  let stopped = false;
  const handler = (signal: StopSignal) => {
    if (stopped) return;
    stopped = true;
    onStop(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, handler);
  };
}
