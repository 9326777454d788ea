import { Writable } from 'node:stream';
import { Command } from 'commander';
import { exitCodeFor } from '../../src/cli/exit.js';
import type { Io } from '../../src/cli/io.js';

/** An `Io` whose streams write into memory, and what has been written to them so far. */
export interface MemoryIo {
  readonly io: Io;
  out(): string;
  err(): string;
}

export function memoryIo(cwd: string, env: NodeJS.ProcessEnv = {}): MemoryIo {
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void) => new Writable({ write: (chunk, _enc, done) => (add(String(chunk)), done()) });
  return { io: { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), env, cwd }, out: () => stdout, err: () => stderr };
}

/** Runs one command through a throwaway program with in-memory streams, as main.ts would. */
export async function runCommand(
  make: (io: Io) => Command,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const m = memoryIo(cwd, env);
  const program = new Command('ccasp').option('--no-color').addCommand(make(m.io));
  for (const c of [program, ...program.commands]) c.exitOverride().configureOutput({ writeOut: (s) => m.io.stdout.write(s), writeErr: (s) => m.io.stderr.write(s) });
  let code = 0;
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (error) {
    code = exitCodeFor(error, m.io);
  }
  return { code, stdout: m.out(), stderr: m.err() };
}
