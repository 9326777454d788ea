import { InvalidArgumentError } from 'commander';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** `30m`, `90s`, `1h`, `500ms`; a bare number is minutes. Returns milliseconds. */
export function parseDuration(flag: string) {
  return (value: string): number => {
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?$/.exec(value.trim());
    const ms = m ? Number(m[1]) * UNITS[m[2] ?? 'm']! : NaN;
    if (!Number.isFinite(ms) || ms <= 0) {
      throw new InvalidArgumentError(`${flag} must be a duration such as 30m, 90s or 1h, got "${value}"`);
    }
    return Math.round(ms);
  };
}
