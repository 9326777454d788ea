import path from 'node:path';
import { CLAUDE_BIN, claudeEnv } from '../support/run-claude.js';
import { byPrompt, completionReport, text, turn, writeTool, type ScriptedApi, type ScriptedReply, type ScriptSource, type ScriptContext } from '../support/scripted-api.js';
import { scriptedServer } from '../support/scripted-claude.js';
import { tempDir } from '../support/tmp.js';

/** What the tests that run ccasp with the real claude binary against the scripted API share. */

/** A scripted server for the current test that routes each conversation by a marker in its prompt. */
export function scriptedApi(routes: Record<string, ScriptSource>): Promise<ScriptedApi> {
  return scriptedServer(byPrompt(routes));
}

/** The marker that routes a conversation to a task's script (the prompt's own task line). */
export function taskMarker(taskId: string): string {
  return `- Task ID: ${taskId}\n`;
}

/** An agent that writes each file, then reports completion honestly. */
export function honestAgent(taskId: string, files: readonly string[]): (req: unknown, ctx: ScriptContext) => ScriptedReply {
  return (_req, ctx) => {
    if (ctx.turn < files.length) {
      const file = files[ctx.turn]!;
      return turn(writeTool(path.join(ctx.cwd ?? '.', file), `// ${taskId}: ${file}\nexport const done = true;\n`));
    }
    return turn(text(completionReport({ taskId, artifacts: [...files], summary: `wrote ${files.join(', ')}` })));
  };
}

/** The environment for `ccasp run` with the real claude, against `apiUrl`, with its own config folder. */
export function runEnv(apiUrl: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return claudeEnv(apiUrl, tempDir('ccasp-claude-config-'), { CCASP_CLAUDE_BIN: CLAUDE_BIN, CLAUDE_CODE_MAX_RETRIES: '0', ...extra });
}
