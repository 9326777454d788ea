import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { annotationsFor, escapeData, escapeProperty, githubActionsReporter, workflowCommand } from '../../../src/cli/render/github-actions.js';
import { sampleRun } from './events.js';

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.setEncoding('utf8').on('data', (d: string) => (text += d));
  return { stream, text: () => text };
}

describe('GitHub Actions workflow commands', () => {
  it('escapes %, CR and LF in messages, and also : and , in properties', () => {
    expect(escapeData('50% done\r\nnext: a, b')).toBe('50%25 done%0D%0Anext: a, b');
    expect(escapeProperty('50% done\nnext: a, b')).toBe('50%25 done%0Anext%3A a%2C b');
    // % first, so an escape sequence already in the text survives the round trip.
    expect(escapeData('%0A')).toBe('%250A');
    expect(workflowCommand('error', 'x\ny', { title: 'phase P1: failed, badly' })).toBe('::error title=phase P1%3A failed%2C badly::x%0Ay');
    expect(workflowCommand('notice', 'plain')).toBe('::notice::plain');
  });

  it('annotates denied tools and blocked tasks as warnings and failed phases and tasks as errors, each on one line', () => {
    const lines = sampleRun.flatMap((e) => annotationsFor(e, new Set(['T2'])));
    expect(lines).toEqual([
      '::warning title=ccasp%3A task T2 attempt 1 was denied a tool::claude denied Bash "npm install left-pad"; allow it with Bash(npm install:*)',
      '::warning title=ccasp%3A task T2 is blocked::needs 50%25 of a key: yes, really%0Asecond line%0AWhat to do: set KEY, then unblock',
      '::error title=ccasp%3A task T3 failed::cannot be done',
      '::error title=ccasp%3A phase P1 (Base) failed::T3: cannot be done',
      // Still blocked from an earlier run: announced once, at the end.
      '::warning title=ccasp%3A task T0 is blocked::left from last run',
    ]);
    for (const line of lines) expect(line).not.toMatch(/[\r\n]/);
  });

  it('appends a Markdown summary of the run to the step summary file at the end, and writes each annotation once', () => {
    const out = collect();
    const written: [string, string][] = [];
    let clock = 0;
    const reporter = githubActionsReporter({ summaryFile: '/summary.md', commands: out.stream, now: () => (clock += 1000), append: (f, t) => void written.push([f, t]) });
    for (const e of sampleRun) {
      reporter.onEvent(e);
      if (e.type !== 'run.finished') expect(written).toEqual([]);
    }
    expect(written).toHaveLength(1);
    const [file, md] = written[0]!;
    expect(file).toBe('/summary.md');
    expect(md).toContain('## ⚠️ ccasp: Demo plan');
    expect(md).toContain('**Run stopped: tasks are blocked:** phase P1 cannot go on');
    expect(md).toContain('| Tasks | 1 of 3 done · 2 blocked · 1 failed · 0 to do |');
    expect(md).toContain('| Agents | 3 agents spawned · 1 retry · 2 at once |');
    expect(md).toContain('| Tokens | 140 (4,200 saved by resuming cut-off sessions) |');
    expect(md).toContain('| Time | 1m05s |');
    expect(md).toMatch(/\| T1 Write a \| ✅ done \| 1 \| 2\.5s \| 140 \| \$0\.0123 \|/);
    expect(md).toMatch(/\| T2 Write b \| ⚠️ blocked \| 2 \| /);
    expect(md).toContain('| T2 | needs 50% of a key: yes, really<br>second line | set KEY, then unblock |');
    expect(md).toContain('- **P1 Base**: T3: cannot be done');
    expect(md).toContain('**Next:** Deal with each blocker');
    expect(md.endsWith('\n\n')).toBe(true);
    const annotations = out.text().split('\n').filter(Boolean);
    expect(annotations.filter((l) => l.includes('task T2 is blocked'))).toHaveLength(1);
    expect(annotations.filter((l) => l.includes('task T0 is blocked'))).toHaveLength(1);
  });

  it('turns a summary file it cannot write into a warning annotation instead of failing the run', () => {
    const out = collect();
    const reporter = githubActionsReporter({
      summaryFile: '/nope/summary.md',
      commands: out.stream,
      append: () => {
        throw new Error('EACCES: permission denied');
      },
    });
    for (const e of sampleRun) reporter.onEvent(e);
    expect(out.text()).toContain('::warning::could not write the step summary to /nope/summary.md: Error: EACCES: permission denied\n');
  });
});
