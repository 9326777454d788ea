import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, pathTooDeep } from '../../src/plan/json-depth.js';

const nested = (open: string, close: string, depth: number, inner = ''): string => open.repeat(depth) + inner + close.repeat(depth);

describe('pathTooDeep', () => {
  it('accepts objects and arrays nested up to the limit, and scalars', () => {
    expect(pathTooDeep(JSON.parse(nested('{"a":', '}', MAX_JSON_DEPTH, '1')))).toBeUndefined();
    expect(pathTooDeep(JSON.parse(nested('[', ']', MAX_JSON_DEPTH)))).toBeUndefined();
    expect(pathTooDeep('text')).toBeUndefined();
    expect(pathTooDeep(null)).toBeUndefined();
  });

  it('names where the limit is crossed, one level past it', () => {
    expect(pathTooDeep(JSON.parse(`{"x": [1, {"b": ${nested('{"a":', '}', 3, '1')}}]}`))).toBeUndefined();
    const shallow = (depth: number) => JSON.parse(`{"x": [1, {"b": ${nested('{"a":', '}', depth, '1')}}]}`);
    // The top object, x, x[1] and b's chain: 3 levels before the chain.
    expect(pathTooDeep(shallow(MAX_JSON_DEPTH - 3))).toBeUndefined();
    expect(pathTooDeep(shallow(MAX_JSON_DEPTH - 2))).toBe('x[1].b.a.a.a.a.a.a.a…');
  });

  it('walks 100,000 levels without overflowing, and finds values under a "__proto__" key', () => {
    expect(pathTooDeep(JSON.parse(nested('[', ']', 100_000)))).toBe('[0][0][0][0][0][0][0][0][0][0]…');
    expect(pathTooDeep(JSON.parse(`{"__proto__": ${nested('[', ']', MAX_JSON_DEPTH)}}`))).toBe('__proto__[0][0][0][0][0][0][0][0][0]…');
  });
});
