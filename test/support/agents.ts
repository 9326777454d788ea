import { chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './cli.js';
import { cleanEnv } from './env.js';
import { tempDir, writeFile } from './tmp.js';

/**
 * Stand-ins for the claude binary (test/fixtures/agents/), for tests in which claude is not the
 * subject: they speak claude's stream-json, start in milliseconds and need no API.
 */

const AGENTS_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'agents');

export type StandIn = 'scripted-agent.mjs' | 'chaos-agent.sh' | 'crash-silent.sh' | 'garbage.sh';

/** The path of a stand-in, made executable in case the checkout lost the bit. */
export function standIn(name: StandIn): string {
  const file = path.join(AGENTS_DIR, name);
  chmodSync(file, 0o755);
  return file;
}

/** One step of a scripted agent's attempt; see test/fixtures/agents/scripted-agent.mjs. */
export type AgentStep =
  | { readonly write: string; readonly content?: string }
  | { readonly sleep: number }
  /** Waits until the test calls `release(name)`. */
  | { readonly await: string }
  | { readonly needs: readonly string[] }
  /** Ends the attempt with a failure report unless `file` holds `contains`. */
  | { readonly expect: { readonly file: string; readonly contains: string } }
  | { readonly hang: true }
  | { readonly complete: { readonly artifacts?: readonly string[]; readonly summary?: string } }
  | { readonly report: string }
  | { readonly structured: Record<string, unknown> };

/** What one start of a scripted agent was given. */
export interface AgentStart {
  readonly taskId: string;
  readonly session: string;
  readonly pid: number;
  readonly cwd: string;
  /** Its command-line arguments, as given. */
  readonly args: readonly string[];
  /** Its stdin, as given. */
  readonly prompt: string;
  /** Its environment, as given. */
  readonly env: Readonly<Record<string, string>>;
}

export interface ScriptedAgent {
  /** The environment for `ccasp run` with this agent as claude, `extra` on top. */
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** Every agent start so far, in order. */
  starts(): AgentStart[];
  /** Lets the agents waiting at `{ await: name }` go on. */
  release(name: string): void;
}

/**
 * A scripted stand-in for claude: for each task id, the steps of each attempt (the last list plays
 * again for later attempts). A task without a script writes its target files and reports them.
 * An agent still running when the test ends (one that hangs, say) is ended with the temp folder it
 * works in.
 */
export function scriptedAgent(script: Record<string, readonly (readonly AgentStep[])[]> = {}): ScriptedAgent {
  const dir = tempDir('ccasp-agent-');
  writeFile(dir, 'script.json', script);
  const bin = standIn('scripted-agent.mjs');
  const starts = (): AgentStart[] => {
    let text = '';
    try {
      text = readFileSync(path.join(dir, 'starts.jsonl'), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AgentStart);
  };
  return {
    env: (extra = {}) => cleanEnv({ CCASP_CLAUDE_BIN: bin, STUB_AGENT_DIR: dir, ...extra }),
    starts,
    release: (name) => void writeFile(dir, name, ''),
  };
}
