/**
 * What the tests that drive the real claude CLI against the scripted API share: a server and temp
 * folders per test, cleaned up after it, and ways to look at what claude printed.
 *
 * UPDATE_STREAM_FIXTURES=1 makes `saveFixture` rewrite test/fixtures/stream/<name>.jsonl.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect } from 'vitest';
import { startScriptedApi, type ScriptedApi, type ScriptedApiOptions, type ScriptSource } from './scripted-api.js';
import { makeTempDir, removeDir, runClaude, sanitizeLines, type ClaudeRun, type RunClaudeOptions, type StreamLine } from './run-claude.js';

export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/stream/', import.meta.url));
const UPDATE_FIXTURES = process.env['UPDATE_STREAM_FIXTURES'] === '1';
export const MODEL = 'claude-sonnet-4-5';
/** A test's timeout; claude itself is killed 2 s sooner, so the test fails with what it printed. */
export const T = 20_000;

/** One test's scripted server and the folders claude runs in against it. */
export interface ClaudeEnv {
  api: ScriptedApi;
  cwd: string;
  configDir: string;
  run(prompt: string, extra?: Partial<RunClaudeOptions>): Promise<ClaudeRun>;
}

export interface ScriptedClaude {
  /** Starts a scripted server and temp folders for the current test. */
  setup(source: ScriptSource, options?: ScriptedApiOptions): Promise<ClaudeEnv>;
  /** Closes `server` after the current test, for one started without `setup`. */
  serve(server: ScriptedApi): ScriptedApi;
  /** A temp folder removed after the current test. */
  tempDir(prefix: string): string;
}

/** Call once at the top of a test file: registers the cleanup that runs after each test. */
export function scriptedClaude(): ScriptedClaude {
  let servers: ScriptedApi[] = [];
  let dirs: string[] = [];
  afterEach(async () => {
    for (const s of servers) await s.close();
    servers = [];
    for (const d of dirs) removeDir(d);
    dirs = [];
  });
  const serve = (server: ScriptedApi): ScriptedApi => (servers.push(server), server);
  const tempDir = (prefix: string): string => {
    const dir = makeTempDir(prefix);
    dirs.push(dir);
    return dir;
  };
  return {
    serve,
    tempDir,
    async setup(source, options) {
      const server = serve(await startScriptedApi(source, options));
      const cwd = tempDir('ccasp-cwd-');
      const configDir = tempDir('ccasp-cfg-');
      return {
        api: server,
        cwd,
        configDir,
        run: (prompt, extra = {}) =>
          runClaude({ apiUrl: server.url, cwd, configDir, prompt, model: MODEL, timeoutMs: T - 2_000, ...extra }),
      };
    },
  };
}

export function ofType(run: ClaudeRun, type: string, subtype?: string): StreamLine[] {
  return run.events.filter((e) => e.type === type && (subtype === undefined || e['subtype'] === subtype));
}

export function finalResult(run: ClaudeRun): StreamLine {
  const last = run.events.at(-1);
  expect(last?.type).toBe('result');
  return last as StreamLine;
}

/** Keeps `run`'s output as a committed fixture, with the test's temp paths and port made fixed. */
export function saveFixture(name: string, run: ClaudeRun, env: ClaudeEnv): void {
  if (!UPDATE_FIXTURES) return;
  mkdirSync(FIXTURE_DIR, { recursive: true });
  const lines = sanitizeLines(run.lines, { cwd: env.cwd, configDir: env.configDir, port: env.api.port });
  writeFileSync(join(FIXTURE_DIR, `${name}.jsonl`), lines.join('\n') + '\n');
}
