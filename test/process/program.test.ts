import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { processIdentity } from '../../src/process/identity.js';
import { runsProgram } from '../../src/process/program.js';
import { standIn } from '../support/agents.js';
import { killGroup } from '../support/processes.js';
import { tempDir } from '../support/tmp.js';
import { until } from '../support/until.js';

/** Starts `command` with `args` in `dir`, looking bare names up in `searchPath`; returns its pid and argv as /proc shows them. */
async function started(dir: string, command: string, args: readonly string[], searchPath: string): Promise<{ pid: number; argv: string[] }> {
  const child = spawn(command, args, { cwd: dir, detached: true, stdio: 'ignore', env: { PATH: searchPath, CHAOS_SLEEP_MS: '60000' } });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}`);
  onTestFinished(() => killGroup(pid));
  const argv = await until(() => {
    const words = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
    return words.includes('-p') ? words : undefined;
  }, `${command} to start`);
  return { pid, argv };
}

/** A folder for PATH holding `claude`, a link to `target`. */
function binWithClaude(dir: string, target: string): string {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(target, path.join(bin, 'claude'));
  return bin;
}

describe('runsProgram', () => {
  it('recognises a script found on PATH through a link, as the kernel shows it: interpreter, then the script', async () => {
    const dir = tempDir();
    const bin = binWithClaude(dir, standIn('chaos-agent.sh'));
    const { pid, argv } = await started(dir, 'claude', ['-p', '--session-id=x'], `${bin}:/usr/bin:/bin`);
    expect(argv[0]).toBe('/bin/sh');
    const first = argv.indexOf('-p');
    expect(runsProgram(pid, argv, first, { command: 'claude', searchPath: bin })).toBe(true);
    expect(runsProgram(pid, argv, first, { command: standIn('chaos-agent.sh'), searchPath: undefined })).toBe(true);
    expect(runsProgram(pid, argv, first, { command: 'claude', searchPath: '/usr/bin:/bin' })).toBe(false);
    expect(runsProgram(pid, argv, first, { command: standIn('scripted-agent.mjs'), searchPath: undefined })).toBe(false);
  });

  it('recognises a binary by its name on PATH, also once the link on PATH points at another version', async () => {
    const dir = tempDir();
    const bin = binWithClaude(dir, process.execPath);
    const { pid, argv } = await started(dir, 'claude', ['-e', 'setTimeout(() => {}, 60000)', '--', '-p'], bin);
    const first = argv.indexOf('-p');
    expect(runsProgram(pid, argv, first, { command: 'claude', searchPath: bin })).toBe(true);
    // An update puts a new version in place; the running agent is still the `claude` ccasp started.
    symlinkSync(standIn('chaos-agent.sh'), path.join(bin, 'claude.new'));
    renameSync(path.join(bin, 'claude.new'), path.join(bin, 'claude'));
    expect(runsProgram(pid, argv, first, { command: 'claude', searchPath: bin })).toBe(true);
    expect(runsProgram(pid, argv, first, { command: 'sh', searchPath: '/usr/bin:/bin' })).toBe(false);
  });

  it('is false for a process that is gone', () => {
    expect(runsProgram(2 ** 22 + 1, ['claude', '-p'], 1, { command: 'claude', searchPath: undefined })).toBe(false);
  });
});

describe('processIdentity', () => {
  it('reads this process: its group, its start time and its user', () => {
    const me = processIdentity(process.pid);
    expect(me).toMatchObject({ pid: process.pid, uid: process.getuid!() });
    expect(me!.processStart).toBeGreaterThan(0);
    expect(processIdentity(process.pid)).toEqual(me);
  });
});
