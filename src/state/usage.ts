import type { Usage } from './schema.js';

export const ZERO_USAGE: Usage = { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0 };

/** Every token an attempt was billed for: input, output, and cache writes and reads. */
export function totalTokens(u: Usage): number {
  return u.inputTokens + u.outputTokens + u.cacheCreationTokens + u.cacheReadTokens;
}
