import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { syncCommand } from '../../src/cli/commands/sync.js';
import type { Io } from '../../src/cli/io.js';
import { CcaspError } from '../../src/errors.js';
import { outboxPath } from '../../src/state/paths.js';
import { tempDir } from '../support/tmp.js';
import { ev, markerIds, startHarness, startServer, TOKEN } from './helpers.js';

function memoryIo(cwd: string): Io & { out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { stdout, stderr, env: {}, cwd, out: () => out, err: () => err };
}

async function runSync(io: Io, args: string[]): Promise<unknown> {
  const program = new Command('ccasp').exitOverride().option('--no-color');
  program.addCommand(
    syncCommand(io, { client: { retryAfterBaseMs: 1, paceWrites: false }, backoff: { firstMs: 5, maxMs: 20 }, ghAuthToken: async () => undefined }).exitOverride(),
  );
  try {
    await program.parseAsync(['sync', ...args], { from: 'user' });
    return undefined;
  } catch (error) {
    return error;
  }
}

/** A project (a git top level) whose outbox holds what a run with a refused token left. */
async function projectWithOutbox() {
  const server = await startServer();
  const root = tempDir('ccasp-sync-');
  mkdirSync(path.join(root, '.git'));
  server.inject({ kind: 'bad-token' });
  const h = await startHarness(server, {}, { root });
  h.emit(ev.taskCompleted('P1.1', 'Todo model'), ev.phaseCompleted('P1', 'Foundation', 50));
  await h.sync.drain(10_000);
  return { server, root };
}

describe('ccasp sync', () => {
  it('delivers the outbox and reports what was delivered', async () => {
    const { server, root } = await projectWithOutbox();
    const io = memoryIo(path.join(root));
    expect(await runSync(io, ['--github-token', TOKEN, '--github-api-url', server.baseUrl])).toBeUndefined();
    expect(io.out()).toContain('✔ acme/widgets#7: comment task.P1.1.done.1');
    expect(io.out()).toContain('✔ acme/widgets#7: labels progress');
    expect(io.out()).toContain('3 delivered, 0 waiting in .claude/orchestrator/outbox.jsonl');
    expect(markerIds(server)).toEqual(['task.P1.1.done.1', 'phase.P1.done']);
    expect(server.issue(7).labels).toEqual(['progress:50%']);
    expect(readFileSync(outboxPath(root), 'utf8')).toBe('');

    const again = memoryIo(root);
    expect(await runSync(again, ['--json', '--github-token', TOKEN, '--github-api-url', server.baseUrl])).toBeUndefined();
    expect(JSON.parse(again.out())).toEqual({ file: outboxPath(root), delivered: [], pending: 0 });
  });

  it('without a token: exit 2 and the outbox is untouched', async () => {
    const { root } = await projectWithOutbox();
    const before = readFileSync(outboxPath(root), 'utf8');
    const error = await runSync(memoryIo(root), []);
    expect(error).toBeInstanceOf(CcaspError);
    expect((error as CcaspError).exitCode).toBe(2);
    expect((error as CcaspError).message).toMatch(/^3 GitHub update\(s\) wait in .*outbox\.jsonl, but no GitHub token/);
    expect(readFileSync(outboxPath(root), 'utf8')).toBe(before);
  });

  it('with a refused token: exit 2, one notice, nothing lost, and the token is not printed', async () => {
    const { server, root } = await projectWithOutbox();
    server.inject({ kind: 'bad-token' });
    const io = memoryIo(root);
    const error = await runSync(io, ['--github-token', TOKEN, '--github-api-url', server.baseUrl]);
    expect((error as CcaspError).exitCode).toBe(2);
    expect(io.err().match(/GitHub sync stopped/g)).toHaveLength(1);
    expect(`${io.out()}${io.err()}${(error as Error).message}`).not.toContain(TOKEN);
    expect(readFileSync(outboxPath(root), 'utf8').trim().split('\n')).toHaveLength(3);
  });
});
