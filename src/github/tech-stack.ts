import path from 'node:path';
import { isObject } from '../plan/shapes/shape.js';
import { readTextSync, type ReadText } from './git-remote.js';
import { parseRepoSlug, type RepoRef } from './link.js';

/** Where the CCASP toolkit keeps what it detected of a project, the repository among it. */
export const TECH_STACK_FILE = path.join('.claude', 'config', 'tech-stack.json');

/**
 * The repository CCASP creates a plan's issue in (its commands run `gh --repo
 * {{versionControl.owner}}/{{versionControl.repo}}`): for a CCASP plan that carries only an issue
 * number, a better answer than the `origin` remote, which may be a fork. Undefined when the file is
 * missing, unreadable or names no valid owner/repo: it is only ever a fallback.
 */
export function readTechStackRepo(projectRoot: string, read: ReadText = readTextSync): RepoRef | undefined {
  const text = read(path.join(projectRoot, TECH_STACK_FILE));
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return undefined;
  }
  const vc = isObject(json) ? json.versionControl : undefined;
  if (!isObject(vc) || typeof vc.owner !== 'string' || typeof vc.repo !== 'string') return undefined;
  return parseRepoSlug(`${vc.owner}/${vc.repo}`);
}
