import { describe, expect, it } from 'vitest';
import { parseArtifacts, parseReport, type Report } from '../../src/agents/report.js';

function complete(text: string): Extract<Report, { kind: 'complete' }> {
  const report = parseReport(text);
  expect(report?.kind).toBe('complete');
  return report as Extract<Report, { kind: 'complete' }>;
}

const PLAIN = ['TASK_COMPLETE: P1.1', 'STATUS: completed', 'ARTIFACTS: [src/a.ts, src/b.ts]', 'SUMMARY: Added a and b.'].join('\n');

describe('parseReport: the three kinds', () => {
  it('reads a plain TASK_COMPLETE block', () => {
    expect(parseReport(`Done with the work.\n\n${PLAIN}\n`)).toEqual({
      kind: 'complete',
      taskId: 'P1.1',
      status: 'completed',
      artifacts: ['src/a.ts', 'src/b.ts'],
      summary: 'Added a and b.',
    });
  });

  it('reads a TASK_BLOCKED block', () => {
    const text = ['I could not go on.', '', 'TASK_BLOCKED: P2.3', 'BLOCKER: the database is not reachable', 'SUGGESTED_ACTION: start postgres on port 5432'].join('\n');
    expect(parseReport(text)).toEqual({
      kind: 'blocked',
      taskId: 'P2.3',
      blocker: 'the database is not reachable',
      suggestedAction: 'start postgres on port 5432',
    });
  });

  it('reads a TASK_FAILED block', () => {
    const text = ['TASK_FAILED: P3.1', 'ERROR: the requested API does not exist in this version'].join('\n');
    expect(parseReport(text)).toEqual({ kind: 'failed', taskId: 'P3.1', error: 'the requested API does not exist in this version' });
  });

  it('gives empty strings for fields the agent left out', () => {
    expect(parseReport('TASK_BLOCKED: P1.1')).toEqual({ kind: 'blocked', taskId: 'P1.1', blocker: '', suggestedAction: '' });
    expect(parseReport('TASK_COMPLETE: P1.1')).toEqual({ kind: 'complete', taskId: 'P1.1', status: '', artifacts: [], summary: '' });
  });
});

describe('parseReport: no report', () => {
  it.each([
    ['empty text', ''],
    ['plain prose', 'I changed some files and everything works now.'],
    ['prose naming the marker mid-sentence', 'I will end with a TASK_COMPLETE: P1.1 block once the tests pass.'],
    ['prose naming the marker without a colon', 'TASK_COMPLETE is what I will write when I am done.'],
    ['a field without a marker', 'STATUS: completed\nARTIFACTS: [a.ts]\nSUMMARY: done'],
  ])('%s → undefined', (_name, text) => {
    expect(parseReport(text)).toBeUndefined();
  });

  it('ignores a marker mentioned mid-sentence after a real report is absent, but takes a real one before it', () => {
    const text = `${PLAIN}\n\nNote: I wrote the TASK_COMPLETE: P9.9 block above as asked.`;
    expect(complete(text).taskId).toBe('P1.1');
  });
});

describe('parseReport: markdown and spacing', () => {
  it.each([
    ['bold marker and value', '**TASK_COMPLETE:** P1.1\n**STATUS:** completed\n**ARTIFACTS:** [src/a.ts]\n**SUMMARY:** did it'],
    ['bold name, colon outside', '**TASK_COMPLETE**: P1.1\n**STATUS**: completed\n**ARTIFACTS**: [src/a.ts]\n**SUMMARY**: did it'],
    ['backticks around the id', 'TASK_COMPLETE: `P1.1`\nSTATUS: completed\nARTIFACTS: [src/a.ts]\nSUMMARY: did it'],
    ['code fence around the block', 'Here is my report:\n```\nTASK_COMPLETE: P1.1\nSTATUS: completed\nARTIFACTS: [src/a.ts]\nSUMMARY: did it\n```\n'],
    ['code fence with a language', '```text\nTASK_COMPLETE: P1.1\nSTATUS: completed\nARTIFACTS: [src/a.ts]\nSUMMARY: did it\n```'],
    ['bullets', '- TASK_COMPLETE: P1.1\n- STATUS: completed\n- ARTIFACTS: [src/a.ts]\n- SUMMARY: did it'],
    ['star bullets with bold', '* **TASK_COMPLETE:** P1.1\n* **STATUS:** completed\n* **ARTIFACTS:** [src/a.ts]\n* **SUMMARY:** did it'],
    ['a heading marker', '## TASK_COMPLETE: P1.1\nSTATUS: completed\nARTIFACTS: [src/a.ts]\nSUMMARY: did it'],
    ['a quote block', '> TASK_COMPLETE: P1.1\n> STATUS: completed\n> ARTIFACTS: [src/a.ts]\n> SUMMARY: did it'],
    ['extra spaces', '   TASK_COMPLETE   :    P1.1   \n  STATUS :  completed \nARTIFACTS:    [ src/a.ts ]   \nSUMMARY:   did it   '],
    ['CRLF line ends', 'TASK_COMPLETE: P1.1\r\nSTATUS: completed\r\nARTIFACTS: [src/a.ts]\r\nSUMMARY: did it\r\n'],
  ])('%s', (_name, text) => {
    expect(parseReport(text)).toEqual({ kind: 'complete', taskId: 'P1.1', status: 'completed', artifacts: ['src/a.ts'], summary: 'did it' });
  });

  it('a closing code fence ends the block: prose after it is neither summary nor artifact', () => {
    const text = [
      '```',
      'TASK_COMPLETE: P1.1',
      'STATUS: completed',
      'SUMMARY: did it',
      'ARTIFACTS: src/a.ts, src/b.ts',
      '```',
      '',
      'Let me know if you need anything else.',
    ].join('\n');
    const report = complete(text);
    expect(report.artifacts).toEqual(['src/a.ts', 'src/b.ts']);
    expect(report.summary).toBe('did it');
  });

  it('a closing code fence ends a multi-line summary', () => {
    const text = ['```', 'TASK_COMPLETE: P1.1', 'STATUS: completed', 'ARTIFACTS: []', 'SUMMARY: first line', 'second line', '```', 'Thanks!'].join('\n');
    expect(complete(text).summary).toBe('first line second line');
  });
});

describe('parseReport: artifacts', () => {
  const withArtifacts = (lines: string) => `TASK_COMPLETE: P1.1\nSTATUS: completed\n${lines}\nSUMMARY: ok`;

  it.each([
    ['a bracketed list', 'ARTIFACTS: [src/a.ts, src/b.ts]', ['src/a.ts', 'src/b.ts']],
    ['a JSON list', 'ARTIFACTS: ["src/a.ts","src/b.ts"]', ['src/a.ts', 'src/b.ts']],
    ['a bare comma list', 'ARTIFACTS: src/a.ts, src/b.ts', ['src/a.ts', 'src/b.ts']],
    ['backticked items', 'ARTIFACTS: [`src/a.ts`, `src/b.ts`]', ['src/a.ts', 'src/b.ts']],
    ['a bullet list on following lines', 'ARTIFACTS:\n- src/a.ts\n- `src/b.ts`\n* src/c.ts', ['src/a.ts', 'src/b.ts', 'src/c.ts']],
    ['a numbered list on following lines', 'ARTIFACTS:\n1. src/a.ts\n2. src/b.ts', ['src/a.ts', 'src/b.ts']],
    ['an empty list', 'ARTIFACTS: []', []],
    ['none', 'ARTIFACTS: none', []],
    ['None in brackets', 'ARTIFACTS: [None]', []],
    ['n/a', 'ARTIFACTS: n/a', []],
  ])('%s', (_name, line, expected) => {
    expect(complete(withArtifacts(line)).artifacts).toEqual(expected);
  });

  it('keeps the fields after a bullet list apart from it', () => {
    const report = complete(withArtifacts('ARTIFACTS:\n- src/a.ts\n- src/b.ts'));
    expect(report.artifacts).toEqual(['src/a.ts', 'src/b.ts']);
    expect(report.summary).toBe('ok');
  });

  it('parseArtifacts drops text after the closing bracket', () => {
    expect(parseArtifacts('[src/a.ts]\n\nI hope this helps.')).toEqual(['src/a.ts']);
    expect(parseArtifacts('["src/a.ts"] (both new)')).toEqual(['src/a.ts']);
  });

  it('parseArtifacts keeps only strings from a JSON list', () => {
    expect(parseArtifacts('["a.ts", 3, null, "b.ts"]')).toEqual(['a.ts', 'b.ts']);
  });
});

describe('parseReport: summary', () => {
  it('joins a multi-line summary into one line', () => {
    const text = 'TASK_COMPLETE: P1.1\nSTATUS: completed\nARTIFACTS: [a.ts]\nSUMMARY: Added the parser.\n  It handles CRLF\nand bullets.';
    expect(complete(text).summary).toBe('Added the parser. It handles CRLF and bullets.');
  });

  it('reads fields in any order', () => {
    const text = 'TASK_COMPLETE: P1.1\nSUMMARY: first\nARTIFACTS: [a.ts]\nSTATUS: completed';
    expect(complete(text)).toMatchObject({ summary: 'first', artifacts: ['a.ts'], status: 'completed' });
  });
});

describe('parseReport: several reports', () => {
  it('takes the last one', () => {
    const text = [
      'TASK_BLOCKED: P1.1',
      'BLOCKER: tests fail',
      'SUGGESTED_ACTION: none',
      '',
      'Actually I fixed it.',
      '',
      'TASK_COMPLETE: P1.1',
      'STATUS: completed',
      'ARTIFACTS: [fixed.ts]',
      'SUMMARY: fixed it',
    ].join('\n');
    expect(complete(text)).toMatchObject({ artifacts: ['fixed.ts'], summary: 'fixed it' });
  });

  it('does not mix fields of an earlier report into the last one', () => {
    const text = ['TASK_COMPLETE: P1.1', 'ARTIFACTS: [old.ts]', 'SUMMARY: old', 'TASK_FAILED: P1.1', 'ERROR: gave up'].join('\n');
    expect(parseReport(text)).toEqual({ kind: 'failed', taskId: 'P1.1', error: 'gave up' });
  });

  it('takes the last one when it names a different task', () => {
    const text = `${PLAIN}\n\nTASK_COMPLETE: P1.2\nSTATUS: completed\nARTIFACTS: []\nSUMMARY: other`;
    expect(complete(text).taskId).toBe('P1.2');
  });
});

describe('parseReport: the task id is exact', () => {
  it.each([
    ['TASK_COMPLETE: P1.10', 'P1.10'],
    ['TASK_COMPLETE: P1.1', 'P1.1'],
    ['TASK_COMPLETE: **P1.1**', 'P1.1'],
    ['TASK_COMPLETE: "P1.1"', 'P1.1'],
    ['TASK_COMPLETE: P1.1 (retry)', 'P1.1 (retry)'],
    ['TASK_COMPLETE: task-7', 'task-7'],
  ])('%s → %s', (line, id) => {
    expect(parseReport(`${line}\nSTATUS: completed`)?.taskId).toBe(id);
  });

  it('P1.10 is not P1.1', () => {
    expect(parseReport('TASK_COMPLETE: P1.10')?.taskId).not.toBe('P1.1');
  });
});

describe('parseReport: inline code', () => {
  it('reads a marker line wrapped in inline code', () => {
    expect(parseReport('`TASK_COMPLETE: P1.1`\n`STATUS: completed`\n`ARTIFACTS: [a.ts]`\n`SUMMARY: ok`')).toEqual({
      kind: 'complete',
      taskId: 'P1.1',
      status: 'completed',
      artifacts: ['a.ts'],
      summary: 'ok',
    });
  });
});
