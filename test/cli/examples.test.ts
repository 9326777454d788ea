import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../../src/cli/status-report.js';
import { REPO_ROOT, runCli } from '../support/cli.js';

const EXAMPLES = readdirSync(path.join(REPO_ROOT, 'examples'));

describe('bundled examples', () => {
  it('include a canonical plan and a CCASP phase-dev plan', () => {
    expect(EXAMPLES).toEqual(expect.arrayContaining(['canonical', 'ccasp-phase-dev']));
  });

  for (const name of EXAMPLES) {
    it(`${name} validates and reports its counts`, async () => {
      const dir = path.join('examples', name);
      const valid = await runCli(['validate', dir]);
      expect(valid.code, valid.stderr).toBe(0);
      const status = await runCli(['status', dir, '--json']);
      expect(status.code, status.stderr).toBe(0);
      const report = JSON.parse(status.stdout) as StatusReport;
      const total = report.phases.reduce((n, p) => n + p.total, 0);
      expect(report.completion.tasks.total).toBe(total);
      expect(valid.stdout).toContain(`${report.phases.length} phases, ${total} tasks`);
      expect(report.currentPhase).toBe(report.phases[0]!.id);
      expect(report.ready.length).toBeGreaterThan(0);
    });
  }
});
