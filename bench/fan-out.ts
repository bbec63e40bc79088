/**
 * The part of docs/performance.md about running past one machine (`--shard i/n` and `merge`):
 * not measured by the bench, written by hand; the report places it after the status.
 */
export const fanOutSection = `## The path past one machine

One exploration runs on one machine (\`check --workers N\` uses its cores). What spreads over
machines is the work that is already a list of independent runs: a bound sweep (one
exploration per combination) and the driver kill matrix (\`conform <p> --variant all\`: the
correct driver and every bug variant against the five suites). Both take \`--shard i/n\`
(1-based, as vitest and playwright spell it) and \`--out FILE\`; each shard runs every n-th unit
of the unsharded run's order (shard i takes positions i-1, i-1+n, ...: round-robin, so
neighbouring combinations, which cost alike, are spread out and shard sizes differ by at most
one), writes a shard document, and \`merge\` joins the documents:

\`\`\`sh
npx mailbox-models sweep idpf-xn --bound saltBits=1..4 --bound ringSize=1..3 --shard 2/3 --out sweep-2.json
npx mailbox-models conform mcdi --variant all --shard 2/3 --out conform-2.json
npx mailbox-models merge sweep-1.json sweep-2.json sweep-3.json   # the unsharded table, its exit code
\`\`\`

\`merge\` prints exactly the table (with \`--json\`, the document) and returns the exit code that
the unsharded command gives: the rows in the unsharded order, the sweep's smallest failing
combination chosen over all shards (fewest states, the earlier on a tie), the kill matrix's
verdict over all its rows (\`test/shard-merge.test.ts\` checks both against unsharded runs). A
shard document records the command, the protocol, the options that shape the run, the shard
count and a SHA-256 of \`machines/\`, \`properties/\`, \`drivers/\`, \`harness/\`, \`src/\` and
\`package-lock.json\`; \`merge\` refuses, with one line and exit 2 before printing anything, shards
of different commands, protocols, options, sources or shard counts, and a missing or repeated
shard. Each shard exits as the unsharded run would on its own rows (1 for a failing combination
or a surviving variant), so a CI job fails where the problem is, and the merge job gives the
verdict of the whole.

A GitHub Actions matrix (three machines for a sweep, one job to merge):

\`\`\`yaml
jobs:
  sweep:
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        shard: [1, 2, 3]
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with: { node-version: 20, cache: npm }
      - run: npm ci
      - run: >
          npx mailbox-models sweep idpf-xn --bound saltBits=1..4 --bound ringSize=1..3
          --shard \${{ matrix.shard }}/3 --out sweep-\${{ matrix.shard }}.json
      - uses: actions/upload-artifact@v4
        if: always()
        with: { name: sweep-\${{ matrix.shard }}, path: sweep-\${{ matrix.shard }}.json }
  merge:
    needs: sweep
    if: always()
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with: { node-version: 20, cache: npm }
      - run: npm ci
      - uses: actions/download-artifact@v4
        with: { pattern: sweep-*, merge-multiple: true }
      - run: npx mailbox-models merge sweep-*.json
\`\`\`

(\`if: always()\` keeps a shard's document when its own rows fail, so that the merge still
prints the whole table; a shard that crashed leaves no document, and the merge names it
missing.) The same shape serves \`conform <p> --variant all\`, one matrix per protocol. Every
job must run the same commit: the sources' fingerprint makes a merge across commits an error.

Measured on this machine (2026-12-03, load average about 22, \`nice -n 19\`): \`conform idpf-xn
--variant all\` (20 rows: the correct driver at the defaults and at two killBounds, 17
variants) took 63 s unsharded; \`--shard 1/3\`, \`2/3\`, \`3/3\` took 30, 11 and 38 s, and \`merge\` of
the three printed the unsharded table byte for byte (a suite too large to replay at one row's
bounds, \`n/a\`, included). The shards add up to more than the whole (79 s): each shard
generates the suites at every bounds its rows need, so suites of bounds whose rows fall in
several shards are generated in each. Balance is by rows, not by cost: rows at an expensive
killBounds make their shard the slowest. A sweep's units are explorations with nothing shared,
so its shards add up to the whole.

What sharding does not do: split one exploration. A single configuration too large for one
machine (mcdi at its real width, docs/mcdi.md) needs a distributed visited set (SPIN's and
TLC's distributed modes partition states by hash across machines), which this tool does not
have; \`--workers\` spreads one exploration over the cores of one machine only.
`;
