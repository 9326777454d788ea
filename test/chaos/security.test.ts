import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scriptedAgent, type ScriptedAgent } from '../support/agents.js';
import { runCli, type CliOptions } from '../support/cli.js';
import { makeProject, orchestratorDir, planFile, readPlan, readStateJson } from '../support/files.js';
import { startGithub, type GithubServer } from '../support/github-server.js';
import { tempDir } from '../support/tmp.js';
import { chaosOptions, filesUnder, type PlanSpec } from './support.js';

/**
 * Security checks through `ccasp run` with a scripted stand-in for claude, which records its argv and
 * its prompt and reports what it is told to: claimed artifacts and declared files that lead out of
 * the project are refused; task text that looks like flags or shell reaches the agent only on stdin,
 * as prompt text; the GitHub token and ANTHROPIC_API_KEY never show up in what ccasp writes or posts.
 */

const TOKEN = 'ghp_ChaosSecretToken0123456789abcdefghijk';
const API_KEY = 'sk-ant-api03-ChaosSecretKey-0123456789abcdefghijklmnopqrstuv';

const caseDir = (): string => tempDir('ccasp-chaos-security-');

/** ccasp in `project` with `agent` as claude, and `extra` in its environment. */
const withAgent = (project: string, agent: ScriptedAgent, extra: NodeJS.ProcessEnv = {}): CliOptions => ({ ...chaosOptions(project), env: agent.env(extra) });

/** An agent whose T1 reports `summary` (and the target file it wrote) as completed. */
const reporting = (summary: string): ScriptedAgent => scriptedAgent({ T1: [[{ write: 'out/a.txt' }, { complete: { summary } }]] });

const onePhase = (tasks: PlanSpec['phases'][number]['tasks'], extra: Record<string, unknown> = {}): PlanSpec => ({ name: 'Security', ...extra, phases: [{ id: 'P1', name: 'Only', tasks }] });

describe('security', () => {
  describe('secrets', () => {
    const OTHER_TOKEN = 'ghp_ChaosSecretEnvToken9876543210zyxwvutsrq';
    /**
     * A GitHub that refuses every request as a bad token: sync turns off at once and every update stays
     * in the outbox, where its text can be read (a GitHub that answers paces comments 3 s apart).
     */
    async function refusingGithub(): Promise<GithubServer> {
      const server = await startGithub({ token: TOKEN, owner: 'acme', repo: 'widgets', issues: [12] });
      server.inject({ kind: 'bad-token' }, { times: 100_000 });
      return server;
    }

    /** Everything ccasp wrote or printed for a run in `project`. */
    function everything(project: string, output: string): { where: string; text: string }[] {
      const found = [{ where: 'stdout + stderr (NDJSON and human lines)', text: output }, { where: 'PROGRESS.json', text: readFileSync(planFile(project), 'utf8') }];
      for (const rel of filesUnder(orchestratorDir(project))) found.push({ where: `.claude/orchestrator/${rel}`, text: readFileSync(path.join(orchestratorDir(project), rel), 'utf8') });
      return found;
    }

    function expectNoSecrets(places: { where: string; text: string }[]): void {
      for (const p of places) for (const secret of [TOKEN, OTHER_TOKEN, API_KEY]) expect(p.text, p.where).not.toContain(secret);
    }

    /** A one-task plan linked to issue 12. */
    function secretPlan(dir: string): string {
      return makeProject(onePhase([{ id: 'T1', title: 'First', status: 'pending', file: 'out/a.txt' }], { github: { owner: 'acme', repo: 'widgets', issue: 12 } }), dir);
    }

    it('keeps the token (flag and environment) and ANTHROPIC_API_KEY out of logs, state, NDJSON and the outbox', async () => {
      const dir = caseDir();
      const project = secretPlan(dir);
      const refusing = await refusingGithub();
      const env = { GITHUB_API_URL: refusing.baseUrl, GH_TOKEN: OTHER_TOKEN, ANTHROPIC_API_KEY: API_KEY };
      // --github-token wins over GH_TOKEN; both are secrets all the same. GitHub refuses the token, so
      // every update stays in the outbox, where it can be read.
      const r = await runCli(['run', 'plan', '--json', '--github-mode', 'comments', '--github-token', TOKEN], withAgent(project, scriptedAgent(), env));
      expect(r.code, r.stderr).toBe(0);
      const places = everything(project, r.stdout + r.stderr);
      expect(places.some((p) => p.where.includes('logs/'))).toBe(true);
      expect(places.some((p) => p.where.endsWith('outbox.jsonl'))).toBe(true);
      expectNoSecrets(places);
      for (const q of refusing.requests) expect(q.body).not.toMatch(/ChaosSecret/);
    });

    it('keeps them out of the outbox (and everything else) while GitHub refuses the token', async () => {
      const dir = caseDir();
      const project = secretPlan(dir);
      const refusing = await refusingGithub();
      const r = await runCli(
        ['run', 'plan', '--json', '--github-mode', 'comments'],
        withAgent(project, scriptedAgent(), { GITHUB_API_URL: refusing.baseUrl, GH_TOKEN: TOKEN, ANTHROPIC_API_KEY: API_KEY }),
      );
      expect(r.code, r.stderr).toBe(0);
      const places = everything(project, r.stdout + r.stderr);
      expect(places.some((p) => p.where.endsWith('outbox.jsonl')), 'undelivered updates are kept in the outbox').toBe(true);
      expectNoSecrets(places);
    });

    it('scrubs secrets an agent quotes in its report from what it queues for GitHub', async () => {
      const dir = caseDir();
      const project = secretPlan(dir);
      const refusing = await refusingGithub();
      const r = await runCli(
        ['run', 'plan', '--json', '--github-mode', 'comments'],
        withAgent(project, reporting(`leaked ${TOKEN} and ${API_KEY}`), { GITHUB_API_URL: refusing.baseUrl, GH_TOKEN: TOKEN, ANTHROPIC_API_KEY: API_KEY }),
      );
      expect(r.code, r.stderr).toBe(0);
      const outbox = readFileSync(path.join(orchestratorDir(project), 'outbox.jsonl'), 'utf8');
      expect(outbox, 'the per-task comment carries the scrubbed summary').toContain('leaked [REDACTED] and [REDACTED]');
      expect(outbox).not.toMatch(/ChaosSecret/);
    });

    // Found here: an agent's report quoting the token or the API key once reached the human output,
    // the --json events, state.json (attempts[].summary) and the task's log unredacted; the redactor
    // was applied on the GitHub path only.
    it('keeps secrets an agent quotes out of output, NDJSON, state and logs', async () => {
      const dir = caseDir();
      const project = secretPlan(dir);
      const r = await runCli(
        ['run', 'plan', '--json', '--no-github'],
        withAgent(project, reporting(`leaked ${TOKEN} and ${API_KEY}`), { GH_TOKEN: TOKEN, ANTHROPIC_API_KEY: API_KEY }),
      );
      expect(r.code, r.stderr).toBe(0);
      expectNoSecrets(everything(project, r.stdout + r.stderr));
    });
  });
  describe('paths that escape the project', () => {
    interface EscapeCase {
      readonly name: string;
      /** What the agent reports as its artifacts (it writes nothing), and the task's declared file, if any. */
      readonly artifacts: (ctx: { project: string; outside: string }) => readonly string[];
      readonly file?: (ctx: { project: string; outside: string }) => string;
      /** The path the refusal must name. */
      readonly refused: (ctx: { project: string; outside: string }) => string;
    }
    const CASES: EscapeCase[] = [
      { name: 'artifact ../', artifacts: () => ['../outside/secret.txt'], refused: () => '../outside/secret.txt' },
      { name: 'artifact ../ deep inside a path', artifacts: () => ['out/../../outside/secret.txt'], refused: () => 'out/../../outside/secret.txt' },
      { name: 'absolute artifact outside', artifacts: ({ outside }) => [path.join(outside, 'secret.txt')], refused: ({ outside }) => path.join(outside, 'secret.txt') },
      { name: 'artifact /etc/passwd', artifacts: () => ['/etc/passwd'], refused: () => '/etc/passwd' },
      { name: 'artifact through a symlinked folder', artifacts: () => ['linked-dir/secret.txt'], refused: () => 'linked-dir/secret.txt' },
      { name: 'artifact that is a symlink out', artifacts: () => ['linked-file.txt'], refused: () => 'linked-file.txt' },
      { name: 'declared file ../', artifacts: () => [], file: () => '../outside/secret.txt', refused: () => '../outside/secret.txt' },
      { name: 'declared absolute file outside', artifacts: () => [], file: ({ outside }) => path.join(outside, 'secret.txt'), refused: ({ outside }) => path.join(outside, 'secret.txt') },
      { name: 'declared file through a symlinked folder', artifacts: () => [], file: () => 'linked-dir/secret.txt', refused: () => 'linked-dir/secret.txt' },
    ];

    for (const c of CASES) {
      it(`refuses ${c.name}`, async () => {
        const dir = caseDir();
        const outside = path.join(dir, 'outside');
        mkdirSync(outside);
        writeFileSync(path.join(outside, 'secret.txt'), 'not yours\n');
        // The project is created first so that its symlinks can point out of it.
        const project = makeProject(onePhase([{ id: 'T1', title: 'Claim work elsewhere', status: 'pending' }]), dir);
        const ctx = { project, outside };
        symlinkSync(outside, path.join(project, 'linked-dir'));
        symlinkSync(path.join(outside, 'secret.txt'), path.join(project, 'linked-file.txt'));
        if (c.file) {
          const planJson = onePhase([{ id: 'T1', title: 'Claim work elsewhere', status: 'pending', file: c.file(ctx) }]);
          writeFileSync(planFile(project), `${JSON.stringify(planJson, null, 2)}\n`);
        }
        const agent = scriptedAgent({ T1: [[{ complete: { artifacts: c.artifacts(ctx) } }]] });
        const r = await runCli(['run', 'plan', '--max-retries', '0', '--no-github'], withAgent(project, agent));
        expect(r.code, r.stdout + r.stderr).toBe(4);
        const state = readStateJson(project);
        expect(state.attempts).toHaveLength(1);
        expect(state.attempts[0]!.reason).toContain(`refused paths outside the project: ${c.refused(ctx)}`);
        expect(state.completedTasks).toEqual([]);
        expect(readPlan(project).phases[0]!.tasks[0]!.status).toBe('blocked');
        expect(readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('not yours\n');
      });
    }

    it('accepts an absolute artifact path that stays inside the project (the refusal is about escaping)', async () => {
      const dir = caseDir();
      const project = makeProject(onePhase([{ id: 'T1', title: 'Write inside', status: 'pending', file: 'out/inside.txt' }]), dir);
      const agent = scriptedAgent({ T1: [[{ write: 'out/inside.txt' }, { complete: { artifacts: [path.join(project, 'out', 'inside.txt')] } }]] });
      const r = await runCli(['run', 'plan', '--max-retries', '0', '--no-github'], withAgent(project, agent));
      expect(r.code, r.stdout + r.stderr).toBe(0);
    });
  });

  describe('task text that looks like flags or shell', () => {
    const TITLE = '--dangerously-skip-permissions';
    const DETAILS = '$(rm -rf /) `touch pwned-backtick` $(touch pwned-subst); touch pwned-semicolon && --permission-mode=bypassPermissions | -p \'quoted\' "double" \\ back';
    const ID = '--model=opus';
    const MODEL = 'sonnet --dangerously-skip-permissions';
    /** The only flags ccasp passes to claude (src/agents/delegate.ts claudeArgs); anything else in argv is a leak. */
    const OWN_FLAGS = ['-p', '--output-format', '--verbose', '--model', '--permission-mode', '--session-id', '--append-system-prompt', '--max-turns', '--max-budget-usd', '--json-schema'];

    it('reaches the agent only on stdin, verbatim; argv carries none of it', async () => {
      const dir = caseDir();
      const project = makeProject(
        onePhase([
          { id: ID, title: TITLE, details: DETAILS, status: 'pending', file: 'out/one.txt', model: MODEL },
          { id: '-rf', title: '`id` && $(whoami)', status: 'pending', file: 'out/--help.txt' },
        ]),
        dir,
      );
      const agent = scriptedAgent();
      const r = await runCli(['run', 'plan', '--no-github'], withAgent(project, agent));
      expect(r.code, r.stdout + r.stderr).toBe(0);

      const starts = agent.starts();
      expect(starts).toHaveLength(2);
      let sawTitle = false;
      for (const { args: argv, prompt: stdin } of starts) {
        for (const arg of argv) {
          const flag = arg.split('=')[0]!;
          expect(OWN_FLAGS, `argv element ${JSON.stringify(arg.slice(0, 80))}`).toContain(flag);
          expect(arg).not.toContain('rm -rf');
          expect(arg).not.toContain('pwned');
          expect(arg).not.toContain('whoami');
          expect(arg.startsWith('--append-system-prompt=') || arg.startsWith('--model=') ? '' : arg).not.toContain(TITLE);
        }
        expect(argv).not.toContain(TITLE);
        expect(argv.filter((a) => a.startsWith('--model='))).toHaveLength(1);
        if (stdin.includes(`- Task ID: ${ID}\n`)) {
          sawTitle = true;
          expect(stdin).toContain(`- Title: ${TITLE}\n`);
          expect(stdin).toContain(`- Details: ${DETAILS}\n`);
          // The plan's model is one argument, never split into flags.
          expect(argv).toContain(`--model=${MODEL}`);
        } else {
          expect(stdin).toContain('- Task ID: -rf\n');
          expect(stdin).toContain('- Title: `id` && $(whoami)\n');
        }
      }
      expect(sawTitle).toBe(true);
      for (const canary of ['pwned-backtick', 'pwned-subst', 'pwned-semicolon']) {
        expect(existsSync(path.join(project, canary)), canary).toBe(false);
        expect(existsSync(path.join(dir, canary)), canary).toBe(false);
      }
    });
  });
});
