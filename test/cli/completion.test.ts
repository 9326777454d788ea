import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { completionCommand } from '../../src/cli/commands/completion.js';
import { graphCommand } from '../../src/cli/commands/graph.js';
import { logsCommand } from '../../src/cli/commands/logs.js';
import { runCommand as makeRunCommand } from '../../src/cli/commands/run.js';
import { statusCommand } from '../../src/cli/commands/status.js';
import type { Io } from '../../src/cli/io.js';
import { bashScript, completionSpec, zshScript } from '../../src/cli/render/completion-script.js';
import { runCli } from '../support/cli.js';
import { memoryIo } from '../support/command.js';
import { tempDir } from '../support/tmp.js';

const hasZsh = spawnSync('zsh', ['-c', 'true']).status === 0;

/** A program shaped like ccasp's: global options, a few real commands, and completion itself. */
function program(io: Io): Command {
  const p = new Command('ccasp').version('0.0.0').option('--no-color', 'no colour in output (also NO_COLOR)');
  for (const c of [makeRunCommand(io, () => undefined), statusCommand(io), graphCommand(io), logsCommand(io)]) p.addCommand(c);
  p.addCommand(completionCommand(io, p));
  for (const c of [p, ...p.commands]) c.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: () => undefined });
  return p;
}

function script(shell: 'bash' | 'zsh' | undefined, env: NodeJS.ProcessEnv = {}): string {
  const m = memoryIo(process.cwd(), env);
  program(m.io).parse(shell ? ['completion', shell] : ['completion'], { from: 'user' });
  return m.out();
}

/** What bash offers after `words` (the last one being the word under the cursor). */
function complete(words: readonly string[], cwd?: string): string[] {
  const file = path.join(tempDir(), 'ccasp.bash');
  writeFileSync(file, script('bash'));
  const array = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const body = `source '${file}'; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _ccasp_completion; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', body], { encoding: 'utf8', ...(cwd ? { cwd } : {}) });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('completionSpec', () => {
  it("reads commands, options, choices and arguments from the program", () => {
    const spec = completionSpec(program(memoryIo(process.cwd()).io));
    expect(spec.commands.map((c) => c.names[0])).toEqual(['run', 'status', 'graph', 'logs', 'completion', 'help']);
    const graph = spec.commands.find((c) => c.names[0] === 'graph')!;
    expect(graph.options.find((o) => o.flags.includes('--format'))).toMatchObject({ value: 'format', complete: { kind: 'choices', values: ['mermaid', 'dot'] } });
    expect(graph.args).toEqual([{ name: 'plan-dir', required: false, variadic: false, complete: { kind: 'files' } }]);
    const run = spec.commands.find((c) => c.names[0] === 'run')!;
    expect(run.options.find((o) => o.flags.includes('--claude-bin'))?.complete).toEqual({ kind: 'files' });
    expect(run.options.find((o) => o.flags.includes('-c'))?.flags).toEqual(['-c', '--concurrency']);
    expect(spec.globalOptions.flatMap((o) => o.flags)).toEqual(['-V', '--version', '--no-color', '-h', '--help']);
  });
});

describe('bash completion', () => {
  it('is valid bash', () => {
    const file = path.join(tempDir(), 'ccasp.bash');
    writeFileSync(file, script('bash'));
    expect(spawnSync('bash', ['-n', file], { encoding: 'utf8' }).stderr).toBe('');
  });

  it('completes commands, options, option values and arguments', () => {
    expect(complete(['ccasp', 'gr'])).toEqual(['graph']);
    expect(complete(['ccasp', ''])).toEqual(['completion', 'graph', 'help', 'logs', 'run', 'status']);
    expect(complete(['ccasp', '--no'])).toEqual(['--no-color']);
    expect(complete(['ccasp', 'graph', '--f'])).toEqual(['--format']);
    expect(complete(['ccasp', 'graph', '--format', ''])).toEqual(['dot', 'mermaid']);
    expect(complete(['ccasp', 'run', 'plan', '--github-mode', 'c'])).toEqual(['comments']);
    expect(complete(['ccasp', 'run', '--no-'])).toContain('--no-wait');
    expect(complete(['ccasp', 'run', '--no-'])).toContain('--no-color');
    expect(complete(['ccasp', 'completion', ''])).toEqual(['bash', 'zsh']);
    expect(complete(['ccasp', 'help', 'st'])).toEqual(['status']);
    // A value that is free text gets nothing offered.
    expect(complete(['ccasp', 'run', '--model', ''])).toEqual([]);
  });

  it('offers paths for plan directories, after options and their values too', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'plans'));
    mkdirSync(path.join(dir, 'other'));
    expect(complete(['ccasp', 'graph', 'pl'], dir)).toEqual(['plans']);
    expect(complete(['ccasp', 'graph', '--format', 'dot', 'pl'], dir)).toEqual(['plans']);
    // logs <task-id> [plan-dir]: the task id is not completed, the plan directory is.
    expect(complete(['ccasp', 'logs', 'P'], dir)).toEqual([]);
    expect(complete(['ccasp', 'logs', 'P1.1', 'pl'], dir)).toEqual(['plans']);
  });
});

describe('zsh completion', () => {
  it('starts with #compdef and registers itself when sourced', () => {
    const text = script('zsh');
    expect(text.startsWith('#compdef ccasp\n')).toBe(true);
    expect(text).toContain("'(- *)'{-V,--version}'[output the version number]'");
    expect(text).toContain("'--format[mermaid, or dot for Graphviz]:format:(mermaid dot)'");
    expect(text).toContain("'1::plan-dir:_files'");
    expect(text).toContain('compdef _ccasp ccasp');
  });

  it('uses the shell from $SHELL when none is named', () => {
    expect(script(undefined, { SHELL: '/usr/bin/zsh' }).startsWith('#compdef ccasp')).toBe(true);
    expect(script(undefined, { SHELL: '/bin/bash' })).toContain('complete -F _ccasp_completion ccasp');
    expect(script(undefined, {})).toContain('complete -F _ccasp_completion ccasp');
  });

  it.runIf(hasZsh)('is valid zsh and loads after compinit', () => {
    const file = path.join(tempDir(), '_ccasp');
    writeFileSync(file, zshScript(completionSpec(program(memoryIo(process.cwd()).io))));
    expect(spawnSync('zsh', ['-n', file], { encoding: 'utf8' }).stderr).toBe('');
    const r = spawnSync('zsh', ['-f', '-c', `autoload -Uz compinit && compinit -u -D && source '${file}' && print -r -- "\${_comps[ccasp]}"`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('_ccasp');
  });
});

describe('bash script text', () => {
  it('quotes option values safely', () => {
    const spec = { name: 'x', globalOptions: [], commands: [{ names: ["it's"], description: 'd', options: [], args: [{ name: 'a', required: true, variadic: true, complete: { kind: 'choices' as const, values: ["o'k"] } }] }] };
    const text = bashScript(spec);
    expect(text).toContain(`'it'\\''s')`);
    expect(text).toContain(`args='choices:o'\\''k...'`);
  });
});

// Spawns bin/ccasp: passes once main.ts registers completionCommand and dist/ is rebuilt.
describe('ccasp completion (CLI; needs main.ts wiring)', () => {
  it('prints a bash script covering every registered command', async () => {
    const r = await runCli(['completion', 'bash']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('complete -F _ccasp_completion ccasp');
    for (const name of ['run', 'status', 'validate', 'graph', 'init', 'logs', 'config', 'completion']) expect(r.stdout).toContain(`'${name}')`);
  });
});
