import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { claudeConfigDir, projectSlug, sessionTranscriptExists } from '../../src/agents/session-transcript.js';
import { tempDir, writeFile } from '../support/tmp.js';

const ID = 'fa75fd2d-208f-4c8f-9f58-072fd34ade09';

describe("where claude keeps a session's transcript", () => {
  it('is under CLAUDE_CONFIG_DIR, else ~/.claude', () => {
    expect(claudeConfigDir({ CLAUDE_CONFIG_DIR: '/cfg', HOME: '/home/me' })).toBe('/cfg');
    expect(claudeConfigDir({ HOME: '/home/me' })).toBe('/home/me/.claude');
  });

  it("names the folder by the cwd with every other character than a letter or digit made '-', as claude 2.1.197 does", () => {
    // Seen with the real binary (test/e2e/agent-resume.test.ts runs it).
    expect(projectSlug('/tmp/resume-cwd-6j7GST')).toBe('-tmp-resume-cwd-6j7GST');
    expect(projectSlug('/work/my_project.v2/wt')).toBe('-work-my-project-v2-wt');
    const long = `/${'a'.repeat(250)}`;
    expect(projectSlug(long)).toMatch(new RegExp(`^-${'a'.repeat(199)}-[0-9a-z]+$`));
    expect(projectSlug(long)).toBe(projectSlug(long));
    expect(projectSlug(long)).not.toBe(projectSlug(`${long}b`));
  });

  it('exists only as a non-empty transcript in the folder of the cwd claude would run in', async () => {
    const config = tempDir('ccasp-claude-config-');
    const cwd = tempDir('ccasp-cwd-');
    const env = { CLAUDE_CONFIG_DIR: config };
    const folder = path.join('projects', projectSlug(cwd));
    await expect(sessionTranscriptExists(env, cwd, ID)).resolves.toBe(false);
    writeFile(config, path.join(folder, `${ID}.jsonl`), '');
    await expect(sessionTranscriptExists(env, cwd, ID)).resolves.toBe(false);
    writeFile(config, path.join(folder, `${ID}.jsonl`), '{"type":"user"}\n');
    await expect(sessionTranscriptExists(env, cwd, ID)).resolves.toBe(true);
    await expect(sessionTranscriptExists(env, tempDir('ccasp-other-'), ID)).resolves.toBe(false);
    await expect(sessionTranscriptExists({ CLAUDE_CONFIG_DIR: tempDir() }, cwd, ID)).resolves.toBe(false);
  });

  it('follows a symlinked cwd to its real path, as claude does', async () => {
    const config = tempDir('ccasp-claude-config-');
    const real = tempDir('ccasp-cwd-');
    const link = path.join(tempDir('ccasp-link-'), 'project');
    symlinkSync(real, link);
    writeFile(config, path.join('projects', projectSlug(real), `${ID}.jsonl`), '{}\n');
    await expect(sessionTranscriptExists({ CLAUDE_CONFIG_DIR: config }, link, ID)).resolves.toBe(true);
  });

  it('finds a long folder by the cut part of its name too', async () => {
    const config = tempDir('ccasp-claude-config-');
    const cwd = path.join(tempDir('ccasp-cwd-'), 'x'.repeat(210));
    mkdirSync(cwd);
    const cut = projectSlug(cwd).slice(0, 200);
    writeFile(config, path.join('projects', `${cut}-otherhash`, `${ID}.jsonl`), '{}\n');
    await expect(sessionTranscriptExists({ CLAUDE_CONFIG_DIR: config }, cwd, ID)).resolves.toBe(true);
  });
});
