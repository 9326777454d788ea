/** At most 20 paths, then how many more: enough to act on, short enough for one message. */
export function listPaths(paths: readonly string[]): string {
  const shown = paths.slice(0, 20).join(', ');
  return paths.length > 20 ? `${shown} and ${paths.length - 20} more` : shown;
}
