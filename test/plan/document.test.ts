import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PlanDocument } from '../../src/plan/document.js';
import { detectFormat } from '../../src/plan/read-file.js';
import { shapeFor } from '../../src/plan/shapes/index.js';

const FIXTURES = [
  'examples/canonical/PROGRESS.json',
  'test/fixtures/plans/ccasp-phase-dev/PROGRESS.json',
  'test/fixtures/plans/ccasp-phase-dev-plan-command/PROGRESS.json',
  'test/fixtures/plans/ccasp-vision/PROGRESS.json',
  'test/fixtures/plans/ccasp-roadmap/phase-1.json',
];

const NOTHING = { tasks: new Map(), phases: new Map() };

async function documentOf(rel: string): Promise<{ doc: PlanDocument; text: string }> {
  const text = readFileSync(new URL(`../../${rel}`, import.meta.url), 'utf8');
  const bom = text.startsWith('\ufeff');
  const body = bom ? text.slice(1) : text;
  const reader = shapeFor(JSON.parse(body));
  const read = await reader.read(JSON.parse(body), rel, {});
  if (!read.ok) throw new Error(`${rel} does not read: ${JSON.stringify(read.problems)}`);
  return { doc: new PlanDocument(rel, JSON.parse(body), detectFormat(body, bom), read.writer, read.plan, Buffer.from(text)), text };
}

describe('PlanDocument.render', () => {
  it.each(FIXTURES)('%s: reproduces the file byte for byte when nothing changed', async (rel) => {
    const { doc, text } = await documentOf(rel);
    expect(doc.render(NOTHING)).toBe(text);
  });

  it.each(FIXTURES)('%s: each render starts from the file as read, so earlier changes never linger', async (rel) => {
    const { doc, text } = await documentOf(rel);
    const first = doc.plan.phases[0]!.tasks[0]!;
    const changed = doc.render({ tasks: new Map([[first.id, { status: 'blocked', blocker: 'waiting for a key' }]]), phases: new Map() });
    expect(changed).not.toBe(text);
    expect(changed).toContain('waiting for a key');
    expect(doc.render(NOTHING)).toBe(text);
  });

  it('names an unknown task rather than writing nothing', async () => {
    const { doc } = await documentOf(FIXTURES[0]!);
    expect(() => doc.render({ tasks: new Map([['nope', { status: 'completed' }]]), phases: new Map() })).toThrow(/unknown task nope/);
  });
});
