import type { Command } from 'commander';
import type { PlanReadOptions } from '../plan/shapes/shape.js';

/** `--no-color` is declared once on the program; commands read it through their parent. */
export function globalColor(cmd: Command): boolean | undefined {
  const opts = cmd.optsWithGlobals<{ color?: boolean }>();
  return opts.color;
}

/** `--tag` is declared once on the program too: which of a Task Master file's tags to read. */
export function planReadOptions(cmd: Command): PlanReadOptions {
  const { tag } = cmd.optsWithGlobals<{ tag?: string }>();
  return tag === undefined ? {} : { tag };
}
