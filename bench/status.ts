/**
 * The part of docs/performance.md that is not measured by the run: what issue 24 asked for and
 * where each item stands, with the numbers of the run where there are some. Written by hand:
 * change it when an item lands.
 */
import type { Results } from './results.ts';
import { pairedRatio } from './measure.ts';
import { fmt, ratioSpread } from './tables.ts';

export function issueStatus(results: Results): string {
  const large = results.anchor.find((row) => row.ours.states >= 5e6);
  const speedUps = results.anchor
    .map(
      (row) =>
        `${ratioSpread(row.speedUp)} at ${fmt(row.ours.states)} states (using ${fmt(
          row.workers.cpuSeconds.median / row.ours.cpuSeconds.median,
          2,
        )}× the CPU seconds of one thread)`,
    )
    .join(', ');
  const load = results.machine.loadAverageAtStart;
  const protocolRatios = results.protocols
    .filter((row) => !row.error)
    .map((row) => `${row.protocol} ${ratioSpread(row.cpuRatioToAnchor)}`)
    .join(', ');
  const symmetryFactors = (results.symmetry ?? [])
    .filter((row) => !row.error)
    .map(
      (row) =>
        `${row.model} ${Number.isFinite(row.reduction) ? `${row.reduction.toFixed(2)}×` : 'n/a'} (${fmt(row.unreduced.states)} → ${fmt(row.reduced.states)} states, the search taking ${ratioSpread(pairedRatio(row.reduced.runs, row.unreduced.runs, (r) => 1 / r.cpuSeconds))} fewer CPU seconds)`,
    )
    .join(', ');
  const workersMet =
    large !== undefined && load <= results.machine.nproc && large.speedUp.median > 1;
  const workersItem = `- **Workers that pay**: built. \`--workers N\` partitions the visited set by state hash; each
  worker expands its share of every BFS level, sends successors to their owner and inserts its
  own, and the result is the sequential one state for state (test/explore-parallel.test.ts:
  every protocol at a budget and complete at small bounds, stuck states included, the anchor
  twin complete and buggy, a budget that ends inside a level, 2 and 3 workers). Design and
  speed-up curve: "Workers: the speed-up curve" above. Measured in this run: ${speedUps || 'not measured'}${
    large ? '' : '; no anchor size of 5 M states or more was in this run'
  }. ${
    load > results.machine.nproc
      ? `Read these with the load in mind (${fmt(load, 1)} on ${results.machine.nproc} cores at the start of the run): on oversubscribed cores the wall-clock ratio says more about how the scheduler shares the cores than about what a second core gives; the CPU seconds are the cost. `
      : ''
  }The target (two workers beat one thread at ≥ 5 M states on this machine) is ${
    large && load <= results.machine.nproc
      ? large.speedUp.median > 1
        ? 'met'
        : `missed (${ratioSpread(large.speedUp)})`
      : 'not shown'
  }.
`;
  return `## Issue 24: what is done and what is not

Done:

- **The bench alternates** SPIN, ours and ours with workers in rounds (\`BENCH_PAIRS\`, 3 by
  default), each sample in its own process, and reports every ratio as the median and range of
  the per-round ratios (\`bench/measure.ts\`; \`test/bench-measure.test.ts\` checks the
  summaries and the alternation order).
- **A row per protocol** at the registry's deep bounds, read when the bench runs (bounds that
  declare \`deep\`), with states/s, states per CPU second and bytes/state, alternated with the
  anchor; and the cost curves.
- **No ceiling but RAM**: the visited set's arena is a list of segments (64 MiB each after the
  first, which grows by doubling; a state never straddles two), so the 4 GiB limit of one
  typed array no longer stops the search (\`src/explore/state-store.ts\`). What stops it now:
  the hash table's 32-bit state numbers and its largest typed array (2^31 slots) at 1.6 × 10^9
  states, and memory (about 90-120 B per anchor state: 10^8 states need 9-12 GB, 10^9 states
  more than this machine's 23 GB). \`test/state-store.test.ts\` tests the segment boundaries
  (states ending at, before and across them, a state larger than a segment, a prefix of a
  segment's last state, worker batches spanning segments) with 64-byte segments; no run past
  2^32 bytes was made (the issue does not ask for one). Every protocol and variant at default
  bounds gives the same states, transitions, depth, verdicts and trace lengths as before the
  change (68 configurations).
- **Symmetry reduction**: models declare interchangeable members (\`ModelInstance.symmetry\`:
  arrays, regions, the fields that name a member), checked when the model is built;
  \`check --symmetry\` stores one representative per orbit and prints concrete
  counterexamples, and \`check --check-symmetry\` verifies a declaration on the unreduced graph
  (src/explore/symmetry.ts; docs/engine.md, "Symmetry reduction"). Declared: the anchor's
  slots and scmi-virtio's CPUs; the other protocols do not declare any (docs/writing-models.md
  says why a model may not). Reduction in this run: ${symmetryFactors || 'not measured'}; verdicts equal
  to the unreduced run's in every row: ${
    (results.symmetry ?? []).every((row) => row.sameVerdicts && !row.error) ? 'yes' : '**no**'
  }.
- **\`--shard i/n\` and \`merge\`**: done for \`sweep\` and \`conform --variant all\` (next
  section); one exploration is still one machine's.
- **Real widths**: mcdi at the hardware's \`seqBits=4\` with \`requests=9\` (the seqno wraps
  after eight timeouts) and sync callers is proven complete on the default model (finding 8
  fixed as upstream fixed it): 4,456,879 states, 12,580,161 transitions, 528 s and 816 MB with
  error answers and an ifdown (\`npx tsx bench/width.ts mcdi requests=9,asyncCalls=0 600\`), every
  property holding; the seed as written fails \`completion-for-request-in-flight\` there in 80
  steps (docs/mcdi.md, "The real width", which also says what the async path and the MC's
  faults at that width would need). idpf-xn: 8 salt bits (the upstream width) at one ring slot
  (2,096 states) and 3 bits at a ring of two (1,218,994 states, 222 s) are proven; 8 bits at a
  ring of two is estimated at about 50 M states and 22 GB, past the 10-minute, 20 GB budget, and
  a ring of 255 is beyond any explicit-state search (docs/idpf-xn.md, "Real widths", says what
  would do it).
${workersMet ? workersItem : ''}
Not done (plainly):

${workersMet ? '' : workersItem}
- **The real protocols within 2× of the anchor's states/s**: missed. Profiled per engine part
  (\`bench/profile.ts\`, \`bench/profile-ab.ts\`; "Where the time goes on the real protocols"
  above): the state codec's change was kept (0.99-1.05×, the same states on every protocol and
  variant), a stepper change was dropped (0.88× on mcdi). Per CPU second, protocol / anchor in
  this run: ${protocolRatios || 'not measured'}; the target is 0.5×, missed by 4-8×, because the
  models' own code (guards, actions, properties, monitors, the ghost ledger) alone takes about
  what the whole anchor state costs (the section above has the numbers).
`;
}
