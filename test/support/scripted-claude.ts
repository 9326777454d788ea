/**
 * What the tests that drive the real claude CLI against the scripted API share: a server and temp
 * folders per test, cleaned up after it, and ways to look at what claude printed.
 *
 * UPDATE_STREAM_FIXTURES=1 makes `saveFixture` rewrite test/fixtures/stream/<name>.jsonl (see RECORDING).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, onTestFinished } from 'vitest';
import { startScriptedApi, type ScriptedApi, type ScriptedApiOptions, type ScriptSource } from './scripted-api.js';
import { runClaude, sanitizeLines, type ClaudeRun, type RunClaudeOptions, type StreamLine } from './run-claude.js';
import { tempDir } from './tmp.js';

export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/stream/', import.meta.url));
/**
 * Set when claude's behaviour is being recorded again (UPDATE_STREAM_FIXTURES=1, after a change of
 * the pinned claude or of the scripted server): `saveFixture` rewrites the fixtures, and the checks of
 * claude behaviour that ccasp does not rely on, the record behind docs/claude-stream.md, run too.
 */
export const RECORDING = process.env['UPDATE_STREAM_FIXTURES'] === '1';
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

/** A scripted server closed when the current test ends. */
export async function scriptedServer(source: ScriptSource, options?: ScriptedApiOptions): Promise<ScriptedApi> {
  const server = await startScriptedApi(source, options);
  onTestFinished(() => server.close());
  return server;
}

/** A scripted server and the folders claude runs in against it, for the current test. */
export async function setupClaude(source: ScriptSource, options?: ScriptedApiOptions): Promise<ClaudeEnv> {
  const api = await scriptedServer(source, options);
  const cwd = tempDir('ccasp-cwd-');
  const configDir = tempDir('ccasp-cfg-');
  return {
    api,
    cwd,
    configDir,
    run: (prompt, extra = {}) => runClaude({ apiUrl: api.url, cwd, configDir, prompt, model: MODEL, timeoutMs: T - 2_000, ...extra }),
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
  if (!RECORDING) return;
  mkdirSync(FIXTURE_DIR, { recursive: true });
  const lines = sanitizeLines(run.lines, { cwd: env.cwd, configDir: env.configDir, port: env.api.port });
  writeFileSync(join(FIXTURE_DIR, `${name}.jsonl`), lines.join('\n') + '\n');
}
