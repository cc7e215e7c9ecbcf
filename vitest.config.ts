import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A blocking syscall holds the whole thread: one process per test file,
    // so a stuck file cannot stall the others' timers.
    pool: 'forks',
    testTimeout: 30_000,
    // Type assertions (expectTypeOf) in test/*.test-d.ts: tsc checks them over
    // test/tsconfig.json (strict, every test file and lib/), and a failed
    // assertion or any type error is a failed test.
    typecheck: {
      enabled: true,
      include: ['test/**/*.test-d.ts'],
      tsconfig: 'test/tsconfig.json',
    },
    hookTimeout: 30_000,
  },
});
