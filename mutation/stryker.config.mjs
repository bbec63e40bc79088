// StrykerJS on one driver (MUTATION_PROTOCOL), with the generated suites as the only tests.
const protocol = process.env.MUTATION_PROTOCOL;
if (!protocol) throw new Error('MUTATION_PROTOCOL is not set: run `npm run mutation`');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'mutation/vitest.config.ts' },
  // --retest: only the lines of the last run's open survivors (file:start-end ranges).
  mutate: process.env.MUTATION_MUTATE?.split(',') ?? [`drivers/${protocol}.ts`],
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 2),
  // Added to the covering suites' own time (x1.5): a mutant that loops gives up after this.
  timeoutMS: 20_000,
  reporters: ['json', 'progress'],
  jsonReporter: { fileName: process.env.MUTATION_REPORT ?? `.mutation/${protocol}/report.json` },
  tempDirName: '.mutation/stryker-tmp',
  cleanTempDir: 'always',
  plugins: ['@stryker-mutator/vitest-runner'],
};
