import { stripVTControlCharacters } from 'node:util';

/** `4.2s`, `1m02s`: how long something took. */
export function duration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const total = Math.round(ms / 1000);
  const m = Math.floor(total / 60);
  const rest = `${String(total % 60).padStart(2, '0')}s`;
  return m < 60 ? `${m}m${rest}` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m${rest}`;
}

/** `0:07`, `12:34`, `1:02:03`: a running clock that ticks once a second. */
export function clock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const s = String(total % 60).padStart(2, '0');
  const m = Math.floor(total / 60);
  return m < 60 ? `${m}:${s}` : `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}:${s}`;
}

export function usd(amount: number): string {
  return `$${amount.toFixed(amount < 1 ? 4 : 2)}`;
}

/** `980`, `12.3k`, `4.5M`: short enough for a spinner line. */
export function shortCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** Visible width of a string that may carry colour codes (one column per code point). */
export function visibleWidth(text: string): number {
  return [...stripVTControlCharacters(text)].length;
}

/** Cuts plain text (no colour codes) to `width` columns, marking the cut with `…`. */
export function fit(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  return width <= 0 ? '' : `${chars.slice(0, width - 1).join('')}…`;
}

/** Pads cells (which may be coloured) into aligned columns; `right` names the right-aligned ones. */
export function alignColumns(rows: readonly (readonly string[])[], right: ReadonlySet<number> = new Set()): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleWidth(cell))));
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const pad = ' '.repeat((widths[i] ?? 0) - visibleWidth(cell));
        return right.has(i) ? pad + cell : i === row.length - 1 ? cell : cell + pad;
      })
      .join('  '),
  );
}
