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
