import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.js';
import { tempDir, writeFile } from '../support/tmp.js';

interface LoosePhase {
  notes?: string;
  tasks: Record<string, unknown>[];
}
interface LoosePlan {
  phases: LoosePhase[];
  [key: string]: unknown;
}

const PLAN_TEXT = `{
    "name": "Round trip",
    "x-owner": {"team": "core", "tags": ["a", "b"]},
    "phases": [
        {
            "id": "P1",
            "name": "One",
            "notes": "kept",
            "tasks": [
                {"id": "P1.1", "title": "First", "status": "pending", "estimate": 3, "custom": {"deep": [1, 2]}},
                {"id": "P1.2", "title": "Second", "status": "blocked", "blocker": "old", "dependencies": ["P1.1"]}
            ]
        }
    ],
    "trailing": true
}
`;

const NOTHING = { tasks: new Map(), phases: new Map() };

describe('writing progress back', () => {
  it('reproduces an untouched file byte for byte', async () => {
    const dir = tempDir();
    const file = writeFile(dir, 'PROGRESS.json', readFileSync(new URL('../../examples/canonical/PROGRESS.json', import.meta.url)));
    const doc = await loadPlan(dir);
    expect(doc.render(NOTHING)).toBe(readFileSync(file, 'utf8'));
  });

  it('changes only the progress fields and keeps unknown fields in place', async () => {
    const dir = tempDir();
    writeFile(dir, 'PROGRESS.json', PLAN_TEXT);
    const doc = await loadPlan(dir);
    const text = doc.render({
      tasks: new Map([
        ['P1.1', { status: 'completed', completedAt: '2026-01-02T03:04:05.000Z', completedBy: 'agent-1', attempts: 1 }],
        ['P1.2', { status: 'pending', blocker: null }],
      ]),
      phases: new Map([['P1', { status: 'in_progress' }]]),
      plan: { completionPercentage: 50 },
    });
    const out = JSON.parse(text) as LoosePlan;
    const before = JSON.parse(PLAN_TEXT) as LoosePlan;
    expect(Object.keys(out)).toEqual([...Object.keys(before), 'completion_percentage']);
    expect(out['x-owner']).toEqual(before['x-owner']);
    expect(out.phases[0]!.notes).toBe('kept');
    expect(out.phases[0]!.tasks[0]).toEqual({
      ...before.phases[0]!.tasks[0],
      status: 'completed',
      completedAt: '2026-01-02T03:04:05.000Z',
      completedBy: 'agent-1',
      attempts: 1,
    });
    expect(Object.keys(out.phases[0]!.tasks[0]!).slice(0, 5)).toEqual(['id', 'title', 'status', 'estimate', 'custom']);
    expect(out.phases[0]!.tasks[1]).toEqual({ id: 'P1.2', title: 'Second', status: 'pending', dependencies: ['P1.1'] });
    expect(text).toMatch(/^\{\n {4}"name"/);
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('keeps CRLF line endings, tab indentation and a byte-order mark', async () => {
    const dir = tempDir();
    const text = `\ufeff${JSON.stringify(JSON.parse(PLAN_TEXT), null, '\t').replace(/\n/g, '\r\n')}`;
    writeFile(dir, 'PROGRESS.json', text);
    const doc = await loadPlan(dir);
    expect(doc.render(NOTHING)).toBe(text);
  });
});
