import type { Command } from 'commander';

/** `--no-color` is declared once on the program; commands read it through their parent. */
export function globalColor(cmd: Command): boolean | undefined {
  const opts = cmd.optsWithGlobals<{ color?: boolean }>();
  return opts.color;
}
