import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/cli.js';

/**
 * How src/ is put together: every folder holds one domain, no module imports itself back through
 * others (type-only imports count: they tie the modules' meaning together as much as values do), and
 * no folder imports one above it. Lowest first; folders on one line know nothing of each other.
 */
const LAYERS: readonly (readonly string[])[] = [
  // Shared leaf modules: typed errors, numbers written for people, where the project is and what lies
  // in it, reading a file safely.
  ['errors.ts', 'numbers.ts', 'project-root.ts', 'project-paths.ts', 'regular-file.ts'],
  ['process', 'secrets'],
  ['plan'],
  ['state'],
  ['verify', 'worktree'],
  ['agents'],
  // The loop, and beside it the job queue that workers on other machines take attempts from; the
  // loop reaches the queue only through the ports cli/ gives it.
  ['orchestrator', 'queue'],
  ['github', 'dashboard'],
  ['cli'],
];

const SRC = path.join(REPO_ROOT, 'src');

/** The relative specifiers a module imports: static, type-only, re-exports, side-effect and dynamic. */
function importSpecifiers(source: string): string[] {
  const patterns = [
    // import x / {a, type B} / * as x / type {A} from '…'; export {a} / * / type {A} from '…'
    /^\s*(?:import|export)\b[\w$*{},\s]*?\bfrom\s*['"](\.[^'"]+)['"]/gm,
    /^\s*import\s*['"](\.[^'"]+)['"]/gm,
    // import('…'), also as a type: typeof import('…')
    /\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((m) => m[1]!));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const rel = (file: string): string => path.relative(REPO_ROOT, file).split(path.sep).join('/');

interface Graph {
  /** Each module of src/ (as `src/...`) and the modules of src/ it imports. */
  readonly edges: ReadonlyMap<string, readonly string[]>;
  /** Relative imports that name no module. */
  readonly unresolved: readonly string[];
}

function importGraph(): Graph {
  const edges = new Map<string, string[]>();
  const unresolved: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const targets = new Set<string>();
    for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
      const target = path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
      if (path.relative(SRC, target).startsWith('..')) continue; // package.json and the like
      if (existsSync(target)) targets.add(rel(target));
      else unresolved.push(`${rel(file)}: ${spec}`);
    }
    edges.set(rel(file), [...targets].sort());
  }
  return { edges, unresolved };
}

/** The strongly connected components with more than one module (or one importing itself). */
function cycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (edges.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** `plan`, `cli`, or a root module's own name (`errors.ts`). */
const unitOf = (module: string): string => module.split('/')[1]!;
const layerOf = (unit: string): number => LAYERS.findIndex((layer) => layer.includes(unit));

describe('the import parser', () => {
  it('finds every kind of relative import, and no package or text that only mentions one', () => {
    const source = [
      "import { a, type B } from './a.js';",
      "import type { C } from '../c.js';",
      'import {',
      '  d,',
      '  e,',
      "} from './d.js';",
      "import * as f from './f.js';",
      "import g from './g.js';",
      "export { h } from './h.js';",
      "export * from './i.js';",
      "export type { J } from './j.js';",
      "import './k.js';",
      "const { l } = await import('./l.js');",
      "type M = typeof import('./m.js');",
      "import { z } from 'zod';",
      "const text = 'see ./n.js';",
      ' * a comment naming import() and from the ./o.js module',
    ].join('\n');
    expect(importSpecifiers(source).sort()).toEqual(['../c.js', './a.js', './d.js', './f.js', './g.js', './h.js', './i.js', './j.js', './k.js', './l.js', './m.js']);
  });
});

describe('the architecture of src/', () => {
  const { edges, unresolved } = importGraph();

  it('reads the whole source tree', () => {
    // Guards the checks below: a graph with nothing in it would pass them all.
    expect(edges.size).toBeGreaterThan(100);
    expect([...edges.values()].flat().length).toBeGreaterThan(300);
    expect(unresolved).toEqual([]);
  });

  it('has no import cycles, type-only imports included', () => {
    const found = cycles(edges).map((c) => c.join(' <-> '));
    const described = (component: string) =>
      component
        .split(' <-> ')
        .map((m) => `${m} imports ${(edges.get(m) ?? []).filter((t) => component.split(' <-> ').includes(t)).join(', ')}`)
        .join('; ');
    expect(found.map(described), 'import cycles').toEqual([]);
  });

  it('places every folder and root module in a layer', () => {
    expect([...new Set([...edges.keys()].map(unitOf))].filter((unit) => layerOf(unit) < 0)).toEqual([]);
  });

  it('has no folder importing its own layer or one above it', () => {
    const breaks: string[] = [];
    for (const [from, targets] of edges) {
      for (const to of targets) {
        if (unitOf(from) !== unitOf(to) && layerOf(unitOf(to)) >= layerOf(unitOf(from))) breaks.push(`${from} -> ${to}`);
      }
    }
    expect(breaks, 'imports against the layering').toEqual([]);
  });
});
