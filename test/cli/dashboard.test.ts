import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startCli, runCli } from '../support/cli.js';
import { scriptedAgent } from '../support/agents.js';
import { lockFile, makeProject } from '../support/files.js';
import { until } from '../support/until.js';

/** `ccasp dashboard` from the command line: its address, its end, its refusals. */

const plan = { name: 'Dash plan', phases: [{ id: 'P1', name: 'Only', tasks: [{ id: 'T1', title: 'Make a', file: 'a.txt', status: 'pending' }] }] };
const address = (stdout: string) => /^Dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)$/m.exec(stdout)?.[1];

describe('ccasp dashboard', () => {
  it('prints its address, serves the page there and stops on SIGINT with exit 0', async () => {
    const dir = makeProject(plan);
    const cli = startCli(['dashboard', 'plan'], { cwd: dir });
    const url = await until(() => address(cli.stdout()), 'the address');
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/app.js?token=');
    expect((await fetch(url.replace(/token=.*/, 'token=wrong'))).status).toBe(403);
    cli.child.kill('SIGINT');
    expect((await cli.done).code).toBe(0);
  });

  it('a port in use is exit 2 naming it, for dashboard and run alike; a port that is no port is exit 2 too', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      const dir = makeProject(plan);
      const r = await runCli(['dashboard', 'plan', '--port', String(port)], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--port ${port}: the port is in use`);
      const bad = await runCli(['dashboard', 'plan', '--port', '70000'], { cwd: dir });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--port: expected a port number');

      // A run stops before any agent starts, and leaves the project free.
      const agent = scriptedAgent();
      const run = await runCli(['run', 'plan', '--dashboard-port', String(port)], { cwd: dir, env: agent.env() });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`--dashboard-port ${port}: the port is in use`);
      expect(agent.starts()).toEqual([]);
      expect(existsSync(lockFile(dir))).toBe(false);
    } finally {
      busy.close();
    }
  });
});
