import { describe, expect, it } from 'vitest';
import { chooseRenderer, type RendererChoiceInput } from '../../../src/cli/render/choose.js';

const terminal = { isTTY: true, columns: 100 };
const pipe = { isTTY: false, columns: undefined };
const input = (over: Partial<RendererChoiceInput> = {}): RendererChoiceInput => ({ json: false, env: { TERM: 'xterm-256color' }, terminal, ...over });

describe('chooseRenderer', () => {
  it('draws spinners on a terminal and writes plain lines to anything else', () => {
    expect(chooseRenderer(input())).toEqual({ kind: 'tty', by: 'terminal' });
    expect(chooseRenderer(input({ terminal: pipe }))).toEqual({ kind: 'plain', by: 'terminal' });
  });

  it('does not draw on a terminal that cannot be drawn on: TERM=dumb, or no known width', () => {
    expect(chooseRenderer(input({ env: { TERM: 'dumb' } })).kind).toBe('plain');
    expect(chooseRenderer(input({ terminal: { isTTY: true, columns: 0 } })).kind).toBe('plain');
    expect(chooseRenderer(input({ terminal: { isTTY: true, columns: undefined } })).kind).toBe('plain');
  });

  it('writes plain lines when CI is set, even on a terminal, unless CI is 0 or false', () => {
    expect(chooseRenderer(input({ env: { CI: 'true' } }))).toEqual({ kind: 'plain', by: 'ci' });
    expect(chooseRenderer(input({ env: { CI: '1' } })).kind).toBe('plain');
    expect(chooseRenderer(input({ env: { CI: 'false' } }))).toEqual({ kind: 'tty', by: 'terminal' });
    expect(chooseRenderer(input({ env: { CI: '0' } })).kind).toBe('tty');
    expect(chooseRenderer(input({ env: { CI: '' } })).kind).toBe('tty');
  });

  it('follows the precedence flag > env > CI > config > terminal', () => {
    const all = { json: true, env: { CCASP_OUTPUT: 'silent', CI: 'true' }, config: 'tty' as const, terminal };
    expect(chooseRenderer(all)).toEqual({ kind: 'json', by: 'flag' });
    expect(chooseRenderer({ ...all, json: false })).toEqual({ kind: 'silent', by: 'env' });
    expect(chooseRenderer({ ...all, json: false, env: { CI: 'true' } })).toEqual({ kind: 'plain', by: 'ci' });
    expect(chooseRenderer({ ...all, json: false, env: {}, config: 'plain' })).toEqual({ kind: 'plain', by: 'config' });
    expect(chooseRenderer({ ...all, json: false, env: {}, config: undefined })).toEqual({ kind: 'tty', by: 'terminal' });
  });

  it('lets CCASP_OUTPUT ask for plain or silent anywhere, and for tty only where it can draw', () => {
    expect(chooseRenderer(input({ env: { CCASP_OUTPUT: 'plain' } }))).toEqual({ kind: 'plain', by: 'env' });
    expect(chooseRenderer(input({ env: { CCASP_OUTPUT: ' Silent ' }, terminal: pipe }))).toEqual({ kind: 'silent', by: 'env' });
    expect(chooseRenderer(input({ env: { CCASP_OUTPUT: 'tty', CI: 'true' } }))).toEqual({ kind: 'tty', by: 'env' });
    expect(chooseRenderer(input({ env: { CCASP_OUTPUT: 'tty' }, terminal: pipe }))).toEqual({ kind: 'plain', by: 'env' });
    expect(chooseRenderer(input({ config: 'tty', terminal: pipe }))).toEqual({ kind: 'plain', by: 'config' });
  });

  it('reports a CCASP_OUTPUT value it does not know, and decides as if it were not set', () => {
    expect(chooseRenderer(input({ env: { CCASP_OUTPUT: 'fancy' } }))).toEqual({ kind: 'tty', by: 'terminal', ignored: 'fancy' });
    expect(chooseRenderer(input({ env: { CCASP_OUTPUT: 'json' }, terminal: pipe }))).toEqual({ kind: 'plain', by: 'terminal', ignored: 'json' });
    expect(chooseRenderer(input({ env: { CCASP_OUTPUT: '' } }))).toEqual({ kind: 'tty', by: 'terminal' });
  });
});
