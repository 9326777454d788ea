// Numbers written for people, the same in the terminal and in GitHub comments.

/**
 * `12,345`: a whole number with thousands separators, as `toLocaleString('en-US')` writes it. Not
 * that call itself: its first use loads ICU's locale data, ~17 ms of a run's start-up, for commas.
 */
export function thousands(n: number): string {
  const digits = String(Math.round(Math.abs(n)));
  return `${n < 0 && digits !== '0' ? '-' : ''}${digits.replace(/\B(?=(\d{3})+$)/g, ',')}`;
}

/** A percentage as a fixed-width progress bar that reads the same with or without colour. */
export function bar(percent: number, width = 20): string {
  const filled = Math.round((Math.max(0, Math.min(100, percent)) / 100) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

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
