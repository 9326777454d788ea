import { closeSync, existsSync, ftruncateSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { makeProject, planFile, readPlan, readStateJson, stateFile } from '../support/files.js';
import { mkfifo, tempDir } from '../support/tmp.js';
import { CHAOS_AGENT, chaosOptions, startCounts } from './support.js';

/**
 * Malformed plans, each checked through the CLI: `ccasp validate --json` and `ccasp run` both exit 2
 * with a message that names the file (and the JSON path where one applies), no internal error or
 * stack trace, no state created (no .claude/ folder at all), no agent started, and the plan left
 * byte-identical.
 */

type Json = Record<string, unknown>;
const task = (id: string, extra: Json = {}): Json => ({ id, title: `Task ${id}`, status: 'pending', ...extra });
const phase = (id: string, tasks: Json[], extra: Json = {}): Json => ({ id, name: `Phase ${id}`, ...extra, tasks });
const plan = (phases: unknown, extra: Json = {}): string => `${JSON.stringify({ name: 'Bad plan', ...extra, phases }, null, 2)}\n`;
const nested = (open: string, close: string, depth: number, inner = ''): string => open.repeat(depth) + inner + close.repeat(depth);
const VALID = plan([phase('P1', [task('T1'), task('T2', { dependencies: ['T1'] })])]);
/** A one-task plan whose task has `field` set to the JSON text `json`. */
const deepField = (field: string, json: string): string => plan([phase('P1', [task('T1', { [field]: 0 })])]).replace(`"${field}": 0`, `"${field}": ${json}`);
const TOO_DEEP = /nested more than 256 levels deep; deeper JSON is refused/;
/** The plan, its phases, a phase, its tasks and the task are 5 levels: a task field may nest 251 more. */
const MAX_EXTRA_DEPTH = 256 - 5;

interface BadCase {
  readonly name: string;
  /** Written to plan/PROGRESS.json. */
  readonly content?: string | Buffer;
  /** Or: makes plan/PROGRESS.json (or what stands in its place) itself. */
  readonly make?: (file: string) => void;
  /** The plan argument, relative to the project (default `plan`), and the file the message must name. */
  readonly arg?: string;
  readonly file?: string;
  /** The JSON path the message must name, where one applies. */
  readonly path?: string;
  readonly message: RegExp;
}

const CASES: BadCase[] = [
  // Broken JSON
  { name: 'trailing comma', content: '{\n  "name": "x",\n  "phases": [],\n}\n', message: /not valid JSON: .*\(line 4, column 1\)/ },
  { name: 'unterminated string', content: '{"name": "x, "phases": []}', message: /not valid JSON/ },
  { name: 'truncated half-way', content: VALID.slice(0, Math.floor(VALID.length / 2)), message: /not valid JSON: unexpected end of file/ },
  { name: 'single-quoted JSON', content: "{'name': 'x', 'phases': []}", message: /not valid JSON: .*\(line 1, column 2\)/ },
  { name: 'JSON with comments', content: '{\n  // the plan\n  "name": "x", "phases": []\n}\n', message: /not valid JSON: .*\(line 2, column 3\)/ },
  { name: 'raw NUL byte in a string', content: '{"name": "a\u0000b", "phases": []}', message: /not valid JSON: Bad control character/ },
  { name: 'CRLF file with a missing colon', content: '{\r\n  "name": "x",\r\n  "phases" []\r\n}\r\n', message: /not valid JSON: .*\(line 3/ },
  { name: 'BOM then garbage', content: '\ufeffnot a plan at all', message: /not valid JSON: .*\(line 1, column \d+\)/ },
  { name: 'only a byte-order mark', content: '\ufeff', message: /is empty/ },
  { name: 'empty file', content: '', message: /is empty, expected a JSON object/ },
  { name: 'whitespace only', content: ' \n\t\r\n  ', message: /is empty/ },
  // Encoding
  { name: 'Latin-1 text (not UTF-8)', content: Buffer.concat([Buffer.from('{"name": "caf'), Buffer.from([0xe9]), Buffer.from('", "phases": []}')]), message: /not valid UTF-8 text \(first bad byte at offset 13\)/ },
  { name: 'UTF-16LE with BOM', content: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"name": "x", "phases": []}', 'utf16le')]), message: /not valid UTF-8 text \(first bad byte at offset 0\)/ },
  { name: 'overlong UTF-8 sequence', content: Buffer.concat([Buffer.from('{"name": "'), Buffer.from([0xc0, 0xaf]), Buffer.from('", "phases": []}')]), message: /not valid UTF-8 text \(first bad byte at offset 10\)/ },
  // Not an object at the top
  { name: 'top level array', content: '[{"name": "x", "phases": []}]', message: /expected a JSON object, found an array/ },
  { name: 'top level string', content: '"PROGRESS"', message: /expected a JSON object, found a string/ },
  { name: 'top level null', content: 'null', message: /expected a JSON object, found null/ },
  { name: 'top level number', content: '42', message: /expected a JSON object, found a number/ },
  // Wrong types and values
  { name: 'missing phases', content: '{"name": "x"}', path: 'phases', message: /expected array/ },
  { name: 'phases is an object', content: plan({ P1: phase('P1', []) }), path: 'phases', message: /expected array/ },
  { name: 'phases is null', content: plan(null), path: 'phases', message: /expected array/ },
  { name: '__proto__ key hiding the phases', content: '{"__proto__": {"phases": []}, "name": "x"}', path: 'phases', message: /expected array/ },
  { name: 'task id is a number', content: plan([phase('P1', [task('T1', { id: 7 })])]), path: 'phases[0].tasks[0].id', message: /expected string, received number/ },
  { name: 'title is a number', content: plan([phase('P1', [task('T1', { title: 42 })])]), path: 'phases[0].tasks[0].title', message: /expected string/ },
  { name: 'unknown task status', content: plan([phase('P1', [task('T1', { status: 'done' })])]), path: 'phases[0].tasks[0].status', message: /"pending"/ },
  { name: 'dependencies is a string', content: plan([phase('P1', [task('T0'), task('T1', { dependencies: 'T0' })])]), path: 'phases[0].tasks[1].dependencies', message: /expected array/ },
  { name: 'dependency is a number', content: plan([phase('P1', [task('T1', { dependencies: [1] })])]), path: 'phases[0].tasks[0].dependencies[0]', message: /expected string/ },
  { name: 'attempts overflow to Infinity', content: plan([phase('P1', [task('T1')])]).replace('"status": "pending"', '"status": "pending", "attempts": 1e400'), path: 'phases[0].tasks[0].attempts', message: /Infinity/ },
  { name: 'negative attempts', content: plan([phase('P1', [task('T1', { attempts: -1 })])]), path: 'phases[0].tasks[0].attempts', message: /./ },
  { name: 'completedAt not ISO-8601', content: plan([phase('P1', [task('T1', { status: 'completed', completedAt: 'yesterday' })])]), path: 'phases[0].tasks[0].completedAt', message: /ISO-8601/ },
  { name: 'max_parallel_agents 0', content: plan([], { max_parallel_agents: 0 }), path: 'max_parallel_agents', message: /too small|>0/i },
  { name: 'github issue is a string', content: plan([], { github: { owner: 'o', repo: 'r', issue: 'twelve' } }), path: 'github.issue', message: /expected number/ },
  { name: 'empty ids', content: plan([phase('', [task('')])]), path: 'phases[0].tasks[0].id', message: /must not be empty/ },
  { name: 'CCASP phase-dev shape with wrong types', content: JSON.stringify({ metadata: { version: '3.0' }, phases: 'nope' }), path: 'phases', message: /expected array/ },
  // Graph problems
  { name: 'duplicate task ids', content: plan([phase('P1', [task('A'), task('A')])]), path: 'phases[0].tasks[1].id', message: /duplicate task id "A"/ },
  { name: 'duplicate task ids named __proto__', content: plan([phase('P1', [task('__proto__'), task('__proto__')])]), path: 'phases[0].tasks[1].id', message: /duplicate task id "__proto__"/ },
  { name: 'duplicate phase ids', content: plan([phase('P1', [task('A')]), phase('P1', [task('B')])]), path: 'phases[1].id', message: /duplicate phase id "P1"/ },
  { name: 'unknown dependency', content: plan([phase('P1', [task('A', { dependencies: ['Z9'] })])]), path: 'phases[0].tasks[0].dependencies[0]', message: /unknown task "Z9"/ },
  { name: 'dependency on "toString"', content: plan([phase('P1', [task('A', { dependencies: ['toString', 'constructor'] })])]), path: 'phases[0].tasks[0].dependencies[0]', message: /unknown task "toString"/ },
  { name: 'self dependency', content: plan([phase('P1', [task('A', { dependencies: ['A'] })])]), path: 'phases[0].tasks[0].dependencies[0]', message: /depends on itself/ },
  { name: 'two-task cycle', content: plan([phase('P1', [task('A', { dependencies: ['B'] }), task('B', { dependencies: ['A'] })])]), message: /dependency cycle: (A → B → A|B → A → B)/ },
  { name: 'cycle across a chain', content: plan([phase('P1', [task('A', { dependencies: ['C'] }), task('B', { dependencies: ['A'] }), task('C', { dependencies: ['B'] })])]), path: 'phases[0].tasks[0].dependencies[0]', message: /dependency cycle: A → C → B → A/ },
  { name: 'dependency on a later phase', content: plan([phase('P1', [task('A', { dependencies: ['B'] })]), phase('P2', [task('B')])]), path: 'phases[0].tasks[0].dependencies[0]', message: /later phase \(P2\)/ },
  // Declared files leading out of the project: named to an agent as the files to write, so refused before any run
  { name: 'declared file ../', content: plan([phase('P1', [task('T1', { file: '../outside/secret.txt' })])]), path: 'phases[0].tasks[0].file', message: /"\.\.\/outside\/secret\.txt" leads out of the project/ },
  { name: 'declared file ../ deep inside a path', content: plan([phase('P1', [task('T1', { file: 'src/../../../x.ts' })])]), path: 'phases[0].tasks[0].file', message: /leads out of the project/ },
  { name: 'declared absolute file outside', content: plan([phase('P1', [task('T1', { file: ['src/ok.ts', '/etc/passwd'] })])]), path: 'phases[0].tasks[0].file[1]', message: /"\/etc\/passwd" leads out of the project/ },
  {
    name: 'declared file not yet written under a symlinked folder that leads out',
    make: (file) => {
      writeFileSync(file, plan([phase('P1', [task('T1', { file: 'vendor/new.ts' })])]));
      symlinkSync(tempDir('ccasp-chaos-elsewhere-'), path.join(path.dirname(file), '..', 'vendor'));
    },
    path: 'phases[0].tasks[0].file',
    message: /"vendor\/new\.ts" leads out of the project/,
  },
  {
    name: 'CCASP /phase-dev-plan files entry leading out',
    content: JSON.stringify({ plan_id: 'p', project: { name: 'P' }, phases: [{ id: 1, name: 'One', tasks: [{ id: '1.1', description: 'Do it', completed: false, files: ['src/a.ts', { path: '../../etc/x' }] }] }] }),
    path: 'phases[0].tasks[0].files[1].path',
    message: /"\.\.\/\.\.\/etc\/x" leads out of the project/,
  },
  // Deep nesting: JSON.parse takes it, but copying and writing the plan back would overflow the stack.
  { name: 'phases nested 100,000 arrays deep', content: `{"name": "x", "phases": ${nested('[', ']', 100_000)}}`, path: 'phases[0][0][0][0][0][0][0][0][0]…', message: TOO_DEEP },
  { name: 'details nested 50,000 objects deep', content: deepField('details', nested('{"a":', '}', 50_000, '1')), path: 'phases[0].tasks[0].details.a.a.a.a.a…', message: TOO_DEEP },
  { name: 'an extra task field nested 2,000 objects deep', content: deepField('extra', nested('{"a":', '}', 2_000, '1')), path: 'phases[0].tasks[0].extra.a.a.a.a.a…', message: TOO_DEEP },
  { name: 'an extra plan field nested 10,000 arrays deep', content: VALID.replace('{', `{"extra": ${nested('[', ']', 10_000)},`), path: 'extra[0][0][0][0][0][0][0][0][0]…', message: TOO_DEEP },
  { name: 'an extra task field one level deeper than accepted', content: deepField('extra', nested('{"a":', '}', MAX_EXTRA_DEPTH + 1, '1')), path: 'phases[0].tasks[0].extra.a.a.a.a.a…', message: TOO_DEEP },
  // The file system
  { name: 'a directory where the file should be', make: (file) => mkdirSync(file), message: /is a directory, expected a JSON file/ },
  {
    name: 'a sparse file over the 64 MiB limit',
    make: (file) => {
      const fd = openSync(file, 'w');
      writeSync(fd, '{"name": "huge", "phases": [');
      ftruncateSync(fd, 64 * 1024 * 1024 + 1);
      closeSync(fd);
    },
    message: /is 67108865 bytes; plans larger than 67108864 bytes are refused/,
  },
  {
    name: 'a 48 MiB file of NUL bytes (under the limit)',
    make: (file) => {
      const fd = openSync(file, 'w');
      ftruncateSync(fd, 48 * 1024 * 1024);
      closeSync(fd);
    },
    message: /not valid JSON/,
  },
  { name: 'no PROGRESS.json in the plan folder', make: () => undefined, message: /not found/ },
  {
    name: 'a plan path through a file',
    make: (file) => writeFileSync(path.join(path.dirname(file), 'notes.txt'), 'not a folder\n'),
    arg: 'plan/notes.txt/PROGRESS.json',
    file: 'plan/notes.txt/PROGRESS.json',
    message: /not found \(a parent path is not a directory\)/,
  },
];

/**
 * A FIFO, or a symlink to a character device such as /dev/zero, in place of PROGRESS.json once made
 * `validate` and `run` hang (the FIFO blocks on open; /dev/zero is read without end). Now: exit 2,
 * "is not a regular file".
 */
const SPECIAL_FILE_CASES: BadCase[] = [
  { name: 'a FIFO where the file should be', make: (file) => mkfifo(file), message: /not a regular file/ },
  { name: 'a symlink to /dev/zero', make: (file) => symlinkSync('/dev/zero', file), message: /not a regular file/ },
];

/** What the plan path holds, compared before and after: bytes, or for big files and folders their identity. */
function snapshot(file: string): string {
  let info;
  try {
    info = lstatSync(file);
  } catch {
    return 'absent';
  }
  if (info.isDirectory()) return `dir ${readdirSync(file).join(',')}`;
  if (!info.isFile()) return `special ${info.mode} ${info.ino}`;
  if (info.size > 1024 * 1024) return `big ${info.size} ${info.mtimeMs} ${info.ino}`;
  return `bytes ${readFileSync(file).toString('base64')}`;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

interface ValidateJson {
  valid: boolean;
  file: string | null;
  problems: { file: string; path: string; message: string }[];
}

async function checkCase(c: BadCase, work: string, index: number): Promise<void> {
  const project = makeProject(VALID, path.join(work, `case-${index}`));
  const defaultFile = planFile(project);
  rmSync(defaultFile);
  if (c.make) c.make(defaultFile);
  else writeFileSync(defaultFile, c.content ?? '');
  const file = path.join(project, c.file ?? 'plan/PROGRESS.json');
  const arg = c.arg ?? 'plan';
  const startsDir = path.join(work, `case-${index}`, 'starts');
  mkdirSync(startsDir, { recursive: true });
  const before = snapshot(file);
  const where = c.path ? `${file}: ${c.path}: ` : `${file}: `;
  const label = `${c.name} (${path.relative(work, project)})`;

  const validate = await runCli(['validate', arg, '--json'], chaosOptions(project));
  expect(validate.code, `${label}: validate\n${validate.stderr}`).toBe(2);
  const report = JSON.parse(validate.stdout) as ValidateJson;
  expect(report.valid, label).toBe(false);
  expect(report.file, label).toBe(file);
  const problem = report.problems.find((p) => (c.path === undefined || p.path === c.path) && c.message.test(p.message));
  expect(problem, `${label}: a problem at "${c.path ?? ''}" matching ${c.message} in ${JSON.stringify(report.problems).slice(0, 2000)}`).toBeDefined();
  expect(problem?.file, label).toBe(file);

  const run = await runCli(['run', arg, '--claude-bin', CHAOS_AGENT, '--no-github'], chaosOptions(project, { CHAOS_STARTS_DIR: startsDir }));
  for (const [what, r] of [
    ['validate', validate],
    ['run', run],
  ] as const) {
    expect(r.code, `${label}: ${what}\n${r.stderr}`).toBe(2);
    expect(r.stderr, `${label}: ${what} names the file and path`).toContain(where);
    expect(r.stderr.slice(0, 100_000), `${label}: ${what}`).toMatch(c.message);
    expect(r.stderr, `${label}: ${what}`).not.toMatch(/internal error|\n\s+at .*\(/);
  }
  expect(existsSync(path.join(project, '.claude')), `${label}: no state, no lock`).toBe(false);
  expect(startCounts(startsDir).size, `${label}: no agent started`).toBe(0);
  expect(snapshot(file), `${label}: the plan is untouched`).toBe(before);
}

describe('malformed plans through validate and run', () => {
  it(`exits 2 for each of ${CASES.length} malformed plans, naming the file and JSON path, creating nothing and changing nothing`, async () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    const failures: string[] = [];
    const work = tempDir('ccasp-chaos-bad-input-');
    await pool(
      CASES.map((c, i) => [c, i] as const),
      4,
      ([c, i]) => checkCase(c, work, i).catch((error: unknown) => void failures.push(error instanceof Error ? error.message : String(error))),
    );
    expect(failures).toEqual([]);
  }, 120_000);

  it('accepts an empty phases array (a plan with nothing to do) and completes it at once', async () => {
    const project = makeProject(plan([]));
    const validate = await runCli(['validate', 'plan'], chaosOptions(project));
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toMatch(/valid canonical plan "Bad plan", 0 phases, 0 tasks/);
    const run = await runCli(['run', 'plan', '--claude-bin', CHAOS_AGENT, '--no-github'], chaosOptions(project));
    expect(run.code, run.stderr).toBe(0);
    expect(readPlan(project)).toMatchObject({ status: 'completed', phases: [] });
  });

  it('runs a plan with an extra field nested as deep as accepted, and writes it back as it was', async () => {
    const content = deepField('extra', nested('{"a":', '}', MAX_EXTRA_DEPTH, '1'));
    const project = makeProject(content);
    const validate = await runCli(['validate', 'plan'], chaosOptions(project));
    expect(validate.code, validate.stderr).toBe(0);
    const run = await runCli(['run', 'plan', '--claude-bin', CHAOS_AGENT, '--no-github'], chaosOptions(project));
    expect(run.code, run.stderr).toBe(0);
    const written = readPlan(project) as unknown as { phases: { tasks: { status: string; extra: unknown }[] }[] };
    expect(written.phases[0]!.tasks[0]!.status).toBe('completed');
    expect(JSON.stringify(written.phases[0]!.tasks[0]!.extra)).toBe(nested('{"a":', '}', MAX_EXTRA_DEPTH, '1'));
  });

  for (const c of SPECIAL_FILE_CASES) {
    // See SPECIAL_FILE_CASES: the commands hang today.
    it(`exits 2 for ${c.name} instead of hanging`, async () => {
      await checkCase(c, tempDir('ccasp-chaos-bad-input-'), 1000 + SPECIAL_FILE_CASES.indexOf(c));
    }, 30_000);
  }
});

describe('state.json nested too deep', () => {
  for (const depth of [2_000, 10_000]) {
    it(`stops run with exit 2 naming state.json and the path at ${depth.toLocaleString('en')} levels; status warns; --fresh starts over`, async () => {
      const project = makeProject(VALID);
      const first = await runCli(['run', 'plan', '--claude-bin', CHAOS_AGENT, '--no-github'], chaosOptions(project));
      expect(first.code, first.stderr).toBe(0);
      const file = stateFile(project);
      writeFileSync(file, readFileSync(file, 'utf8').replace('{', `{"extra": ${nested('{"a":', '}', depth, '1')},`));
      const where = `Invalid orchestrator state:\n  ${file}: extra.a.a.a.a.a.a.a.a.a…: nested more than 256 levels deep`;

      const run = await runCli(['run', 'plan', '--claude-bin', CHAOS_AGENT, '--no-github'], chaosOptions(project));
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain(where);
      expect(run.stderr).not.toMatch(/internal error|\n\s+at .*\(/);
      const reset = await runCli(['reset', 'T1', 'plan'], chaosOptions(project));
      expect(reset.code, reset.stderr).toBe(2);
      expect(reset.stderr).toContain(where);
      const status = await runCli(['status', 'plan', '--json'], chaosOptions(project));
      expect(status.code, status.stderr).toBe(0);
      expect((JSON.parse(status.stdout) as { stateProblems: { path: string }[] }).stateProblems.map((p) => p.path)).toEqual(['extra.a.a.a.a.a.a.a.a.a…']);
      const fresh = await runCli(['run', 'plan', '--fresh', '--claude-bin', CHAOS_AGENT, '--no-github'], chaosOptions(project));
      expect(fresh.code, fresh.stderr).toBe(0);
      expect(readStateJson(project).status).toBe('completed');
    });
  }
});
