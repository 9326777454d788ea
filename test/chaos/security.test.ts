import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scriptedAgent, type ScriptedAgent } from '../support/agents.js';
import { runCli, type CliOptions } from '../support/cli.js';
import { makeProject, orchestratorDir, planFile, readPlan, readPlanJson, readStateJson, stateFile } from '../support/files.js';
import { startGithub, type GithubServer } from '../support/github-server.js';
import { tempDir } from '../support/tmp.js';
import { planRepo } from '../worktree/fixture.js';
import { chaosOptions, filesUnder, type PlanSpec } from './support.js';

/**
 * Security checks through `ccasp run` with a scripted stand-in for claude, which records its argv and
 * its prompt and reports what it is told to: claimed artifacts and declared files that lead out of
 * the project are refused; task text that looks like flags or shell reaches the agent only on stdin,
 * as prompt text; the GitHub token, ANTHROPIC_API_KEY and secret-shaped strings never show up in what
 * ccasp writes, shows or posts, whoever printed them (an agent, a check, git, GitHub); agents and checks
 * do not get the GitHub token unless it is passed through.
 */

const TOKEN = 'ghp_ChaosSecretToken0123456789abcdefghijk';
const API_KEY = 'sk-ant-api03-ChaosSecretKey-0123456789abcdefghijklmnopqrstuv';

const caseDir = (): string => tempDir('ccasp-chaos-security-');

/** ccasp in `project` with `agent` as claude, and `extra` in its environment. */
const withAgent = (project: string, agent: ScriptedAgent, extra: NodeJS.ProcessEnv = {}): CliOptions => ({ ...chaosOptions(project), env: agent.env(extra) });

/** An agent whose T1 reports `summary` (and the target file it wrote) as completed. */
const reporting = (summary: string): ScriptedAgent => scriptedAgent({ T1: [[{ write: 'out/a.txt' }, { complete: { summary } }]] });

const onePhase = (tasks: PlanSpec['phases'][number]['tasks'], extra: Record<string, unknown> = {}): PlanSpec => ({ name: 'Security', ...extra, phases: [{ id: 'P1', name: 'Only', tasks }] });

const OTHER_TOKEN = 'ghp_ChaosSecretEnvToken9876543210zyxwvutsrq';

/** Everything ccasp wrote or printed for a run in `project`. */
function everything(project: string, output: string): { where: string; text: string }[] {
  const found = [{ where: 'stdout + stderr (NDJSON and human lines)', text: output }, { where: 'PROGRESS.json', text: readFileSync(planFile(project), 'utf8') }];
  for (const rel of filesUnder(orchestratorDir(project))) found.push({ where: `.claude/orchestrator/${rel}`, text: readFileSync(path.join(orchestratorDir(project), rel), 'utf8') });
  return found;
}

function expectNoSecrets(places: { where: string; text: string }[], secrets: readonly string[] = [TOKEN, OTHER_TOKEN, API_KEY]): void {
  for (const p of places) for (const secret of secrets) expect(p.text, p.where).not.toContain(secret);
}

describe('security', () => {
  describe('secrets', () => {
    /**
     * A GitHub that refuses every request as a bad token: sync turns off at once and every update stays
     * in the outbox, where its text can be read (a GitHub that answers paces comments 3 s apart).
     */
    async function refusingGithub(): Promise<GithubServer> {
      const server = await startGithub({ token: TOKEN, owner: 'acme', repo: 'widgets', issues: [12] });
      server.inject({ kind: 'bad-token' }, { times: 100_000 });
      return server;
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
  describe('secrets from checks, git and GitHub', () => {
    /** Known to ccasp by its variable's name only: no shape gives it away. */
    const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYChaosSecretKey';
    /** Secrets no variable holds: only their shapes give them away. */
    const SHAPED = {
      github: 'ghp_ChaosShapedToken0123456789abcdefghijklm',
      awsKeyId: 'AKIACHAOSSHAPED12345',
      openai: 'sk-proj-ChaosShaped0123456789abcdefghijklmnop',
      slack: 'xoxb-1234567890-ChaosShapedSlackToken',
      jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaGFvcyJ9.ChaosShapedSignature0123',
      password: 'ChaosShapedPassword99',
      pemBody: 'MIIChaosShapedPrivateKeyBody0123456789abcdefghijklmnopqrstuvwxyzAB',
    };
    const SECRETS = [TOKEN, API_KEY, AWS_SECRET, ...Object.values(SHAPED)];
    const ENV = { GH_TOKEN: TOKEN, ANTHROPIC_API_KEY: API_KEY, AWS_SECRET_ACCESS_KEY: AWS_SECRET };

    /** What a check prints before it fails: the secrets of its environment and secret-shaped strings. */
    const LEAK_SCRIPT = [
      `const e = process.env;`,
      `console.log('check output begins');`,
      `console.log('environment:', e.GH_TOKEN, e.ANTHROPIC_API_KEY, e.AWS_SECRET_ACCESS_KEY);`,
      `console.log('shapes:', ${JSON.stringify([SHAPED.github, SHAPED.awsKeyId, SHAPED.openai, SHAPED.slack, SHAPED.jwt].join(' '))});`,
      `console.log(${JSON.stringify(`DB_PASSWORD=${SHAPED.password}`)});`,
      `console.log(${JSON.stringify(`-----BEGIN RSA PRIVATE KEY-----\n${SHAPED.pemBody}\n-----END RSA PRIVATE KEY-----`)});`,
      `console.log('check output ends');`,
      `process.exit(1);`,
    ].join('\n');

    /** Everything ccasp wrote or printed for `project`, `ccasp status` (human and --json) and `ccasp logs` included. */
    async function shown(project: string, output: string, taskId: string): Promise<{ where: string; text: string }[]> {
      const places = everything(project, output);
      for (const args of [['status', 'plan'], ['status', 'plan', '--json'], ['logs', taskId, 'plan'], ['logs', taskId, 'plan', '--json']]) {
        const r = await runCli(args, chaosOptions(project));
        places.push({ where: `ccasp ${args.join(' ')}`, text: r.stdout + r.stderr });
      }
      return places;
    }

    // Found here: a check's output was kept raw (its last 1,500 characters), and reached the blocker in
    // PROGRESS.json and state.json, the --json events, the output and `ccasp status`.
    it('keeps what a failing verify prints out of PROGRESS.json, state, NDJSON, output, status and logs', async () => {
      const project = makeProject(onePhase([{ id: 'T1', title: 'First', status: 'pending', file: 'out/a.txt', verify: 'node leak.mjs' }]), caseDir());
      writeFileSync(path.join(project, 'leak.mjs'), LEAK_SCRIPT);
      // Passed through, so that the check has the token to print.
      const r = await runCli(['run', 'plan', '--json', '--no-github', '--max-retries', '0', '--agent-env', 'GH_TOKEN'], withAgent(project, scriptedAgent(), ENV));
      expect(r.code, r.stderr).toBe(4);
      const blocker = readPlan(project).phases[0]!.tasks[0]!.blocker ?? '';
      expect(blocker).toContain("the task's check failed");
      expect(blocker).toContain('check output ends');
      expect(blocker).toContain(`environment: [REDACTED] [REDACTED] [REDACTED]`);
      expect(blocker).toContain('DB_PASSWORD=[REDACTED]');
      expectNoSecrets(await shown(project, r.stdout + r.stderr, 'T1'), SECRETS);
    });

    it('keeps what a failing gate prints out of PROGRESS.json, state, NDJSON, output, status and logs', async () => {
      const plan = {
        project: { name: 'Security' },
        metadata: { version: '3.0' },
        testing_config: { ralph_loop: { testCommand: 'node leak.mjs' } },
        phases: [
          {
            id: 1,
            name: 'Only',
            tasks: [
              { id: '1.1', title: 'First', status: 'pending', files: ['out/a.txt'] },
              { id: '1.99-gate', title: 'Phase gate', status: 'pending' },
            ],
          },
        ],
      };
      const project = makeProject(plan, caseDir());
      writeFileSync(path.join(project, 'leak.mjs'), LEAK_SCRIPT);
      const r = await runCli(['run', 'plan', '--json', '--no-github', '--agent-env', 'GH_TOKEN'], withAgent(project, scriptedAgent(), ENV));
      expect(r.code, r.stderr).toBe(4);
      const gate = readPlan(project).phases[0]!.tasks.find((t) => t.id === '1.99-gate')!;
      expect(gate.status).toBe('blocked');
      expect(gate.blocker).toContain('phase validation failed');
      expect(gate.blocker).toContain('check output ends');
      expectNoSecrets(await shown(project, r.stdout + r.stderr, '1.1'), SECRETS);
    });

    /** A repository whose post-checkout hook (run by `git worktree add` and `git checkout`) prints secrets and fails. */
    function leakingRepo(): string {
      const project = planRepo(onePhase([{ id: 'T1', title: 'First', status: 'pending', file: 'out/a.txt' }]));
      const hook = path.join(project, '.git', 'hooks', 'post-checkout');
      writeFileSync(hook, `#!/bin/sh\necho "hook saw $AWS_SECRET_ACCESS_KEY ${SHAPED.github} DB_PASSWORD=${SHAPED.password}" >&2\nexit 1\n`);
      chmodSync(hook, 0o755);
      return project;
    }

    // Found here: git's own words (here a post-checkout hook's) reached the blocker unredacted.
    it("keeps what git prints out of a task's blocker and everything else", async () => {
      const project = leakingRepo();
      const r = await runCli(['run', 'plan', '--json', '--no-github', '--isolation', 'worktree'], withAgent(project, scriptedAgent(), ENV));
      expect(r.code, r.stderr).toBe(4);
      const blocker = readPlan(project).phases[0]!.tasks[0]!.blocker ?? '';
      expect(blocker).toContain('its git worktree could not be prepared');
      expect(blocker).toContain('hook saw [REDACTED] [REDACTED] DB_PASSWORD=[REDACTED]');
      expectNoSecrets(await shown(project, r.stdout + r.stderr, 'T1'), SECRETS);
    });

    it('keeps what git prints while the run sets up its worktrees out of the error it stops with', async () => {
      const project = leakingRepo();
      // A new --branch is created and checked out, which runs the hook.
      const r = await runCli(['run', 'plan', '--no-github', '--isolation', 'worktree', '--branch', 'integration'], withAgent(project, scriptedAgent(), ENV));
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('hook saw [REDACTED] [REDACTED] DB_PASSWORD=[REDACTED]');
      expectNoSecrets(everything(project, r.stdout + r.stderr), SECRETS);
    });

    // Found here: a GitHub error's text went into state.json (github.lastResult) unredacted.
    it("keeps what GitHub's errors say out of state, notices and the outbox", async () => {
      const project = makeProject(onePhase([{ id: 'T1', title: 'First', status: 'pending', file: 'out/a.txt' }], { github: { owner: 'acme', repo: 'widgets', issue: 12 } }), caseDir());
      const server = await startGithub({ token: TOKEN, owner: 'acme', repo: 'widgets', issues: [12] });
      server.inject({ kind: 'reply', status: 401, body: { message: `Bad credentials: ${TOKEN} for ${SHAPED.slack}` } }, { times: 100_000 });
      const r = await runCli(['run', 'plan', '--json', '--github-mode', 'comments'], withAgent(project, scriptedAgent(), { ...ENV, GITHUB_API_URL: server.baseUrl }));
      expect(r.code, r.stderr).toBe(0);
      expect(readStateJson(project).githubConfig?.lastResult).toBe('auth: Bad credentials: [REDACTED] for [REDACTED]');
      expect(r.stdout).toContain('GitHub refused the token from GH_TOKEN (401: Bad credentials: [REDACTED] for [REDACTED])');
      expectNoSecrets(await shown(project, r.stdout + r.stderr, 'T1'), SECRETS);
    });
  });

  describe('what agents and checks can reach', () => {
    const FLAG_TOKEN = 'ghp_ChaosFlagToken0123456789abcdefghijklmn';
    const GH_CLI_TOKEN = 'gho_ChaosGhCliToken0123456789abcdefghijklm';
    /** Writes the check's environment to check-env.json, for the test to read. */
    const RECORD_ENV = `require('node:fs').writeFileSync('check-env.json', JSON.stringify(process.env));`;
    const GITHUB_NAMES = ['GH_TOKEN', 'GITHUB_TOKEN', 'GH_ENTERPRISE_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'];

    /** A one-task project whose check records its environment. */
    function recordingProject(extra: Record<string, unknown> = {}): string {
      const project = makeProject(onePhase([{ id: 'T1', title: 'First', status: 'pending', file: 'out/a.txt', verify: 'node record-env.cjs' }], extra), caseDir());
      writeFileSync(path.join(project, 'record-env.cjs'), RECORD_ENV);
      return project;
    }

    /** The agent's and the check's environments. */
    function envs(project: string, agent: ScriptedAgent): { where: string; env: Readonly<Record<string, string>> }[] {
      const starts = agent.starts();
      expect(starts).toHaveLength(1);
      return [
        { where: 'agent', env: starts[0]!.env },
        { where: 'check', env: JSON.parse(readFileSync(path.join(project, 'check-env.json'), 'utf8')) as Record<string, string> },
      ];
    }

    const given = {
      GH_TOKEN: TOKEN,
      GITHUB_TOKEN: 'ghs_ChaosActionsToken0123456789abcdefghijk',
      GH_ENTERPRISE_TOKEN: 'ghp_ChaosEnterpriseToken0123456789abcdefg',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'chaos-oidc-request-token',
      // The token given by --github-token, also held by a variable of another name.
      DEPLOY_BOT_PAT: FLAG_TOKEN,
      ANTHROPIC_API_KEY: API_KEY,
    };

    // Found here: every agent and check inherited GH_TOKEN, GITHUB_TOKEN and the token ccasp syncs with.
    it("withholds GitHub's tokens and the one ccasp uses from agents and checks, and keeps what claude needs", async () => {
      const project = recordingProject();
      const agent = scriptedAgent();
      const r = await runCli(['run', 'plan', '--no-github', '--github-token', FLAG_TOKEN], withAgent(project, agent, given));
      expect(r.code, r.stderr).toBe(0);
      for (const { where, env } of envs(project, agent)) {
        for (const name of [...GITHUB_NAMES, 'DEPLOY_BOT_PAT']) expect(env, `${where}: ${name}`).not.toHaveProperty(name);
        expect(Object.values(env), where).not.toContain(FLAG_TOKEN);
        expect(env.ANTHROPIC_API_KEY, where).toBe(API_KEY);
        expect(env.PATH, where).toBe(process.env.PATH);
      }
    });

    it('passes the variables --agent-env names through, and CCASP_AGENT_ENV alike', async () => {
      for (const [args, extra] of [
        [['--agent-env', 'GH_TOKEN,DEPLOY_BOT_PAT'], {}],
        [[], { CCASP_AGENT_ENV: 'GH_TOKEN, DEPLOY_BOT_PAT' }],
      ] as const) {
        const project = recordingProject();
        const agent = scriptedAgent();
        const r = await runCli(['run', 'plan', '--no-github', '--github-token', FLAG_TOKEN, ...args], withAgent(project, agent, { ...given, ...extra }));
        expect(r.code, r.stderr).toBe(0);
        for (const { where, env } of envs(project, agent)) {
          expect(env.GH_TOKEN, where).toBe(TOKEN);
          expect(env.DEPLOY_BOT_PAT, where).toBe(FLAG_TOKEN);
          expect(env, where).not.toHaveProperty('GITHUB_TOKEN');
        }
      }
    });

    it('withholds the token `gh auth token` gave ccasp, wherever else it is', async () => {
      const project = recordingProject({ github: { owner: 'acme', repo: 'widgets', issue: 12 } });
      const bin = path.join(caseDir(), 'bin');
      mkdirSync(bin);
      writeFileSync(path.join(bin, 'gh'), `#!/bin/sh\necho ${GH_CLI_TOKEN}\n`);
      chmodSync(path.join(bin, 'gh'), 0o755);
      // Refusing the token turns sync off at once: this test is about the token, not the delivery.
      const server = await startGithub({ token: GH_CLI_TOKEN, owner: 'acme', repo: 'widgets', issues: [12] });
      server.inject({ kind: 'bad-token' }, { times: 100_000 });
      const agent = scriptedAgent();
      const env = { PATH: `${bin}:${process.env.PATH ?? ''}`, GITHUB_API_URL: server.baseUrl, SYNC_COPY: GH_CLI_TOKEN };
      const r = await runCli(['run', 'plan', '--json'], withAgent(project, agent, env));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('with the token from gh auth token');
      for (const { where, env: seen } of envs(project, agent)) expect(seen, where).not.toHaveProperty('SYNC_COPY');
      expect(r.stdout + r.stderr).not.toContain(GH_CLI_TOKEN);
    });
  });

  describe('paths that escape the project', () => {
    interface EscapeCase {
      readonly name: string;
      /** What the agent reports as its artifacts (it writes nothing). */
      readonly artifacts: (ctx: { project: string; outside: string }) => readonly string[];
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

    // Found here: a declared file leading out once passed `validate` and was named to the agent as a
    // file to write; it was refused only when the attempt's work was checked.
    const DECLARED: { readonly name: string; readonly file: (outside: string) => string }[] = [
      { name: '../', file: () => '../outside/secret.txt' },
      { name: 'an absolute path outside', file: (outside) => path.join(outside, 'secret.txt') },
      { name: 'a file through a symlinked folder', file: () => 'linked-dir/secret.txt' },
      { name: 'a file not yet written through a symlinked folder', file: () => 'linked-dir/new.txt' },
    ];
    for (const c of DECLARED) {
      it(`refuses a declared file leading out (${c.name}) before any agent sees it`, async () => {
        const dir = caseDir();
        const outside = path.join(dir, 'outside');
        mkdirSync(outside);
        writeFileSync(path.join(outside, 'secret.txt'), 'not yours\n');
        const project = makeProject(onePhase([{ id: 'T1', title: 'Write elsewhere', status: 'pending', file: c.file(outside) }]), dir);
        symlinkSync(outside, path.join(project, 'linked-dir'));
        const before = readFileSync(planFile(project));
        const agent = scriptedAgent();
        for (const command of [['validate', 'plan'], ['run', 'plan', '--no-github']]) {
          const r = await runCli(command, withAgent(project, agent));
          expect(r.code, r.stdout + r.stderr).toBe(2);
          expect(r.stderr).toContain(`${planFile(project)}: phases[0].tasks[0].file: "${c.file(outside)}" leads out of the project`);
        }
        expect(agent.starts()).toEqual([]);
        expect(existsSync(path.join(project, '.claude'))).toBe(false);
        expect(readFileSync(planFile(project)).equals(before)).toBe(true);
        expect(readdirSync(outside)).toEqual(['secret.txt']);
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

  describe('files ccasp keeps that are symlinks', () => {
    // Found here: a symlinked PROGRESS.json (a plan kept in another folder and linked in) was replaced
    // by a regular file at its first write, so the plan it led to never heard of the run.
    it('writes PROGRESS.json and state.json through their links, keeping the links', async () => {
      const dir = caseDir();
      const project = makeProject(onePhase([{ id: 'T1', title: 'First', status: 'pending', file: 'out/a.txt' }]), dir);
      const kept = path.join(dir, 'kept');
      mkdirSync(kept);
      renameSync(planFile(project), path.join(kept, 'PROGRESS.json'));
      symlinkSync(path.join(kept, 'PROGRESS.json'), planFile(project));
      mkdirSync(orchestratorDir(project), { recursive: true });
      symlinkSync(path.join(kept, 'state.json'), stateFile(project));
      const r = await runCli(['run', 'plan', '--no-github'], withAgent(project, scriptedAgent()));
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(lstatSync(planFile(project)).isSymbolicLink()).toBe(true);
      expect(lstatSync(stateFile(project)).isSymbolicLink()).toBe(true);
      expect(readPlanJson(path.join(kept, 'PROGRESS.json')).phases[0]!.tasks[0]!.status).toBe('completed');
      expect(readStateJson(project).status).toBe('completed');
      expect(readdirSync(kept).sort(), 'no temp file left beside the targets').toEqual(['PROGRESS.json', 'state.json']);
    });
  });

  describe('task text that looks like flags or shell', () => {
    const TITLE = '--dangerously-skip-permissions';
    const DETAILS = '$(rm -rf /) `touch pwned-backtick` $(touch pwned-subst); touch pwned-semicolon && --permission-mode=bypassPermissions | -p \'quoted\' "double" \\ back';
    const ID = '--model=opus';
    const MODEL = 'sonnet --dangerously-skip-permissions';
    /** The only flags ccasp passes to claude (src/agents/delegate.ts claudeArgs); anything else in argv is a leak. */
    const OWN_FLAGS = ['-p', '--output-format', '--verbose', '--model', '--permission-mode', '--allowedTools', '--disallowedTools', '--session-id', '--append-system-prompt', '--max-turns', '--max-budget-usd', '--json-schema', '--resume', '--fork-session'];

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
