import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end tests run the real claude binary; give them room without hiding a hang forever.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
