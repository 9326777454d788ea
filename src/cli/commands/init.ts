import { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { shippedAgentsDir } from '../../agents/roles.js';
import { CcaspError, ExitCode, UsageError } from '../../errors.js';
import { slugify } from '../../plan/shapes/fields.js';
import { PLAN_FILE_NAME, serializeJson } from '../../plan/read-file.js';
import { findProjectRoot } from '../../project-root.js';
import { acquireLock } from '../../state/lock.js';
import { makeOrchestratorDir } from '../../state/orchestrator-files.js';
import { lockPath } from '../../state/paths.js';
import { globalColor } from '../global-options.js';
import { chalkFor, writeJson, writeLine, type Io } from '../io.js';
import { displayPath } from '../status-report.js';

export interface InitOptions {
  readonly name?: string;
  readonly force?: boolean;
  /** Where the shipped specialists are read from; found next to the installation by default. */
  readonly agentsSource?: string;
}

export interface InitResult {
  /** The project root `ccasp run` uses for a plan in `dir` (see findProjectRoot). */
  readonly projectRoot: string;
  readonly inGitRepo: boolean;
  readonly planFile: string;
  readonly agentsDir: string;
  readonly written: readonly string[];
  /** Files that existed and were left alone (no `--force`). */
  readonly skipped: readonly string[];
}

/**
 * Writes a starter PROGRESS.json into `dir` and the shipped specialists into the project's
 * `.claude/agents/` (the project root of a plan in `dir`), where `ccasp run` looks for them.
 * An existing file is kept unless `force`; creating with `wx` means a file that appears meanwhile is
 * kept too.
 */
export async function initProject(dir: string, options: InitOptions = {}): Promise<InitResult> {
  const target = path.resolve(dir);
  if (existsSync(target) && !statSync(target).isDirectory()) throw new UsageError(`${target} is not a directory`);
  const root = findProjectRoot(target);
  const planFile = path.join(target, PLAN_FILE_NAME);
  const agentsDir = path.join(root, '.claude', 'agents');
  const source = options.agentsSource ?? shippedAgentsDir();
  const agentNames = (await readdir(source)).filter((n) => n.endsWith('.md')).sort();

  const files: { file: string; content: string | Buffer }[] = [
    { file: planFile, content: starterPlan(options.name ?? (path.basename(target) || 'My project')) },
  ];
  for (const name of agentNames) files.push({ file: path.join(agentsDir, name), content: await readFile(path.join(source, name)) });

  // Overwriting takes the project's lock: a run holding it would lose the plan it is keeping (exit 3).
  if (options.force) await makeOrchestratorDir(root);
  const lock = options.force ? await acquireLock(lockPath(root), { command: 'ccasp init --force' }) : undefined;
  const written: string[] = [];
  const skipped: string[] = [];
  try {
    for (const { file, content } of files) {
      try {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, content, { flag: options.force ? 'w' : 'wx' });
        written.push(file);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') skipped.push(file);
        else throw new CcaspError(`cannot write ${file} (${code ?? String(error)})`, ExitCode.invalidInput, { cause: error });
      }
    }
  } finally {
    await lock?.release();
  }
  return { projectRoot: root, inGitRepo: existsSync(path.join(root, '.git')), planFile, agentsDir, written, skipped };
}

/** A small canonical plan that passes `ccasp validate` and shows the fields people use most. */
export function starterPlan(name: string): string {
  const plan = {
    plan_id: slugify(name),
    name,
    status: 'pending',
    completion_percentage: 0,
    max_parallel_agents: 2,
    phases: [
      {
        id: 'P1',
        name: 'Foundation',
        status: 'pending',
        tasks: [
          {
            id: 'P1.1',
            title: 'First piece of work',
            details: 'Say what the agent should build, in a few sentences. Edit every task before the first ccasp run.',
            file: 'src/index.js',
            domain: 'backend',
            verify: 'node --check src/index.js',
            status: 'pending',
          },
          {
            id: 'P1.2',
            title: 'A page that runs beside it',
            details: 'Tasks with no dependency between them and no shared file may run at the same time.',
            file: 'web/index.html',
            domain: 'frontend',
            complexity: 'simple',
            status: 'pending',
          },
        ],
      },
      {
        id: 'P2',
        name: 'Quality',
        status: 'pending',
        tasks: [
          {
            id: 'P2.1',
            title: 'Tests for the first piece',
            details: 'A later phase starts once every task of the one before it is completed.',
            file: ['test/index.test.js'],
            domain: 'testing',
            dependencies: ['P1.1'],
            verify: 'node --test test/',
            status: 'pending',
          },
        ],
      },
    ],
  };
  return serializeJson(plan, { indent: '  ', eol: '\n', finalNewline: true, bom: false, inlineScalarArrays: true });
}


export function initCommand(io: Io): Command {
  return new Command('init')
    .description("write a starter PROGRESS.json and ccasp's specialist agents (.claude/agents/) into a project")
    .argument('[dir]', 'where the plan goes (default: the current directory); the agents go to its project root')
    .option('--name <name>', "the plan's name (default: the directory's name)")
    .option('--force', 'overwrite files that already exist')
    .option('--json', 'print {projectRoot, planFile, agentsDir, written, skipped} on stdout')
    .action(async (dir: string | undefined, opts: { name?: string; force?: boolean; json?: boolean }, cmd: Command) => {
      const target = path.resolve(io.cwd, dir ?? '.');
      const result = await initProject(target, { ...(opts.name !== undefined ? { name: opts.name } : {}), force: opts.force ?? false });
      const show = (f: string) => displayPath(f, io.cwd);
      if (opts.json) {
        writeJson(io, {
          projectRoot: result.projectRoot,
          planFile: show(result.planFile),
          agentsDir: show(result.agentsDir),
          written: result.written.map(show),
          skipped: result.skipped.map(show),
        });
        return;
      }
      const c = chalkFor(globalColor(cmd), io);
      const warn = chalkFor(globalColor(cmd), io, 'stderr');
      for (const f of result.written) writeLine(io.stdout, `${c.green('✔')} wrote ${show(f)}`);
      for (const f of result.skipped) writeLine(io.stderr, warn.yellow(`· kept ${show(f)}: it exists (--force overwrites it)`));
      const planDir = path.dirname(result.planFile);
      const here = path.relative(io.cwd, planDir) === '';
      const planArg = here ? '.' : show(planDir);
      // Outside git, ccasp run takes the current directory as the project root, where it looks for
      // .claude/agents/: so run it from the plan's folder.
      const next =
        result.inGitRepo || here
          ? `check it with \`ccasp validate ${planArg}\`, then \`ccasp run ${planArg}\``
          : `then from its folder: \`cd ${planArg} && ccasp validate . && ccasp run .\` (outside git, the project root is the current directory)`;
      writeLine(io.stdout, result.written.length === 0 ? 'Nothing written: every file already exists.' : `Next: edit ${show(result.planFile)}, ${next}.`);
    });
}
