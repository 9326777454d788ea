/**
 * The demo's stand-in for the Anthropic API: a scripted model on 127.0.0.1 that reads ccasp's task
 * prompt and, like a diligent agent, writes each target file with the real Write tool and then
 * reports. The claude CLI, its tools and its stream are all real; only the model's words are canned.
 */
import path from 'node:path';
import { completionReport, startScriptedApi, text, turn, writeTool, type ScriptedApi } from '../../test/support/scripted-api.js';

function contentFor(file: string, taskId: string, title: string): string {
  const ext = path.extname(file);
  if (ext === '.js' || ext === '.mjs' || ext === '.ts') {
    return `// ${taskId}: ${title}\nexport function describe() {\n  return ${JSON.stringify(`${taskId} ${title}`)};\n}\n`;
  }
  if (ext === '.html') return `<!doctype html>\n<html>\n  <body>\n    <!-- ${taskId}: ${title} -->\n    <ul id="todos"></ul>\n    <form id="new-todo"><input name="title" /></form>\n  </body>\n</html>\n`;
  if (ext === '.md') return `# ${title}\n\nWritten for task ${taskId}.\n`;
  if (path.basename(file) === 'Dockerfile') return `# ${taskId}: ${title}\nFROM node:20-alpine\nWORKDIR /app\nCOPY . .\nCMD ["node", "src/store.js"]\n`;
  return `${taskId}: ${title}\n`;
}

/** `paceMs`: how long each answer takes, so that a person watching the dashboard sees the agents at work. */
export function startDemoModel(options: { paceMs?: number } = {}): Promise<ScriptedApi> {
  const pace = options.paceMs ?? 0;
  return startScriptedApi((_req, ctx) => {
    const taskId = /- Task ID: (\S+)/.exec(ctx.prompt)?.[1] ?? 'unknown';
    const title = /- Title: (.+)/.exec(ctx.prompt)?.[1]?.trim() ?? 'task';
    const targets = /- Target files: (.+)/.exec(ctx.prompt)?.[1] ?? '';
    const files = targets.startsWith('none declared') ? [`notes/${taskId}.md`] : targets.split(',').map((f) => f.trim());
    const file = files[ctx.turn];
    if (file !== undefined) {
      return turn([text(`Writing ${file}.`), writeTool(path.join(ctx.cwd ?? '.', file), contentFor(file, taskId, title))], {
        usage: { input_tokens: 1200, output_tokens: 180, cache_read_input_tokens: 900 },
        delayMs: Math.max(150, pace),
      });
    }
    return turn(text(completionReport({ taskId, artifacts: files, summary: `${title}: wrote ${files.join(', ')}` })), {
      usage: { input_tokens: 1500, output_tokens: 60, cache_read_input_tokens: 1100 },
      delayMs: Math.max(100, pace),
    });
  });
}
