import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.js';

/**
 * `ccasp status` and `validate` must not pay for Octokit or execa. `ccasp run` builds its flags from
 * github/options.ts, and run-session starts sync through github/start.ts, so neither may reach those
 * packages through a static import; they are loaded with `await import()` once sync is known to be on.
 */
const STATIC_IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;

function staticGraph(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  if (!entry.startsWith('/')) return seen;
  const source = readFileSync(entry, 'utf8');
  for (const m of source.matchAll(STATIC_IMPORT)) {
    const spec = m[1]!;
    if (!spec.startsWith('.')) {
      seen.add(spec);
      continue;
    }
    staticGraph(path.resolve(path.dirname(entry), spec).replace(/\.js$/, '.ts'), seen);
  }
  return seen;
}

describe('lazy loading', () => {
  it.each(['src/github/options.ts', 'src/github/start.ts', 'src/cli/commands/sync.ts'])('%s reaches neither Octokit nor execa statically', (file) => {
    const graph = [...staticGraph(path.join(REPO_ROOT, file))];
    expect(graph.filter((m) => m.startsWith('@octokit/') || m === 'execa')).toEqual([]);
  });

  it('the client module is the one that loads Octokit', () => {
    const graph = [...staticGraph(path.join(REPO_ROOT, 'src/github/client.ts'))];
    expect(graph).toContain('@octokit/rest');
  });
});
