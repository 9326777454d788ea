import { readdir, realpath, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Where claude (the version pinned in package.json) keeps a session's transcript, which
 * `claude --resume <id>` needs: `<config dir>/projects/<slug of the real cwd>/<id>.jsonl`. claude
 * looks only under the folder it runs in, so a session can be continued only from the same folder.
 * These mirror claude's own rules (docs/claude-stream.md), so that ccasp asks to resume only a
 * session claude will find.
 */

/** Slugs longer than this are cut and given a hash, as claude does. */
const SLUG_MAX = 200;

export function claudeConfigDir(env: NodeJS.ProcessEnv): string {
  return (env.CLAUDE_CONFIG_DIR ?? path.join(env.HOME ?? os.homedir(), '.claude')).normalize('NFC');
}

/** The folder name claude gives the sessions of `cwd`: every character but a letter or digit becomes `-`. */
export function projectSlug(cwd: string): string {
  const slug = cwd.replace(/[^a-zA-Z0-9]/g, '-');
  return slug.length <= SLUG_MAX ? slug : `${slug.slice(0, SLUG_MAX)}-${Math.abs(stringHash(cwd)).toString(36)}`;
}

/** Whether claude, run in `cwd` with `env`, would find session `sessionId` to resume: a non-empty transcript. */
export async function sessionTranscriptExists(env: NodeJS.ProcessEnv, cwd: string, sessionId: string): Promise<boolean> {
  const projects = path.join(claudeConfigDir(env), 'projects');
  const real = await realpath(cwd).catch(() => cwd);
  const slug = projectSlug(real);
  const folders = [slug];
  // For a long slug claude also looks in every folder that starts with its cut part.
  if (slug.length > SLUG_MAX) {
    const prefix = `${slug.slice(0, SLUG_MAX)}-`;
    const names = await readdir(projects).catch(() => [] as string[]);
    folders.push(...names.filter((name) => name.startsWith(prefix) && name !== slug));
  }
  for (const folder of folders) {
    const info = await stat(path.join(projects, folder, `${sessionId}.jsonl`)).catch(() => undefined);
    if (info?.isFile() && info.size > 0) return true;
  }
  return false;
}

/** Java's String.hashCode, which claude uses for long slugs. */
function stringHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = ((hash << 5) - hash + text.charCodeAt(i)) | 0;
  return hash;
}
