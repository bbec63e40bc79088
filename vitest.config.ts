import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Vitest runs cores - 1 files at once by default: one on CI's two cores, leaving the second
    // idle while the drivers' conformance files run for minutes. Two files at once halve the
    // wall time; the files share nothing on disk but node_modules/.cache, written atomically.
    maxWorkers: 2,
    // Generous: a file's long conformance tests share the machine with another file's.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Checking mode (src/model/model-error.ts): every context a model sees in the tests is
    // frozen, so a guard, action or property that changes one in place fails the test.
    env: { MAILBOX_MODELS_CHECKING: '1' },
  },
});
