import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.js';

/**
 * What every command loads before it runs: the built entry and the chunks it imports statically,
 * followed transitively (an ESM module's static imports are all loaded before it runs; import()
 * loads the rest on demand). `status` and `validate` must start in about 2× a bare `node`, so the
 * packages only other commands need stay out of this set. Reads dist/, which `npm test` builds first.
 */
function staticModules(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    const code = readFileSync(file, 'utf8');
    seen.set(file, code);
    // esbuild writes static imports at the top level as `import ... from "./x.js"` or `import "./x.js"`.
    for (const m of code.matchAll(/^import\s*(?:[\w$*{}\s,]+\s*from\s*)?"(\.[^"]+)";?$/gm)) visit(path.resolve(path.dirname(file), m[1]!));
  };
  visit(entry);
  return seen;
}

/** The packages bundled into a module, from the `// node_modules/<package>/...` path comments esbuild writes. */
function bundledPackages(code: string): Set<string> {
  const packages = new Set<string>();
  for (const m of code.matchAll(/^\/\/ node_modules\/((?:@[^/\s]+\/)?[^/\s]+)\//gm)) packages.add(m[1]!);
  return packages;
}

describe('what every command loads at start', () => {
  const modules = staticModules(path.join(REPO_ROOT, 'dist', 'main.js'));
  const packages = new Set([...modules.values()].flatMap((code) => [...bundledPackages(code)]));

  it('follows the chunks the entry imports', () => {
    // Guards the test itself: a bundle layout it cannot read would make the checks below pass vacuously.
    expect(modules.size).toBeGreaterThan(3);
    expect(packages).toContain('commander');
    expect(packages).toContain('chalk');
  });

  it.each(['zod', 'execa', '@octokit/rest', '@octokit/core', 'ora'])('does not load %s', (name) => {
    expect([...packages]).not.toContain(name);
  });
});

describe('what a command that reads a plan loads', () => {
  it("carries zod's English messages alone", () => {
    // zod's other locales, pulled in whole by any import of zod as a value (a dynamic import('zod')),
    // would triple its chunk and cost every plan-reading command ~20 ms to compile.
    const chunks = path.join(REPO_ROOT, 'dist', 'chunks');
    const locales = new Set<string>();
    for (const name of readdirSync(chunks).filter((n) => n.endsWith('.js'))) {
      for (const m of readFileSync(path.join(chunks, name), 'utf8').matchAll(/^\/\/ node_modules\/zod\/v4\/locales\/([\w-]+)\.js$/gm)) locales.add(m[1]!);
    }
    expect([...locales]).toEqual(['en']);
  });
});

describe('the Node built-ins a command loads at start', () => {
  // A process's own record of the built-ins it loaded: child_process (with net and dgram) and
  // crypto each cost every command a few milliseconds, and status needs neither.
  const loaded = (args: string[]): string[] => {
    const script = `const before = new Set(process.moduleLoadList);
process.on('exit', () => process.stderr.write(JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m)))));
process.argv = [process.argv[0], 'ccasp', ...${JSON.stringify(args)}];
import(${JSON.stringify(path.join(REPO_ROOT, 'dist', 'main.js'))});`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    expect(run.status).toBe(0);
    return JSON.parse(run.stderr) as string[];
  };

  it.each([[['--version']], [['status', path.join(REPO_ROOT, 'examples', 'canonical'), '--json']]])('ccasp %j loads neither child_process nor crypto', (args) => {
    const modules = loaded(args);
    expect(modules).toContain('NativeModule fs/promises');
    expect(modules).not.toContain('NativeModule child_process');
    expect(modules).not.toContain('NativeModule crypto');
  });
});
