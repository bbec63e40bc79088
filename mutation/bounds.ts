import type { GeneratorName } from '../src/testgen/vectors.ts';

/**
 * Bounds at which the mutation run generates suites besides the model's defaults and each
 * driver variant's killBounds: where the driver has code that those bounds never run (a switch
 * off at the defaults, a fault the MC does not commit there). Each set is small, so that its
 * tour, pairs and random suites stay cheap; `why` says which driver code it reaches.
 */
export interface MutationBounds {
  bounds: Record<string, number>;
  why: string;
  /** The suites to generate there (default: all five). */
  generators?: GeneratorName[];
}

/** The cheap suites: enough to reach the code a set is for, without its covers' cost. */
const CHEAP: GeneratorName[] = ['tour', 'pairs', 'random'];

export const MUTATION_BOUNDS: Record<string, MutationBounds[]> = {
  mcdi: [
    {
      bounds: { mcdiVersion: 2, requests: 1, asyncCalls: 1 },
      why: 'EF10 (MCDI v2): efx_mcdi_ev_cpl reads the response header; the defaults are Siena (v1)',
    },
    {
      bounds: { duplicate: 1, lost: 1, requests: 1, asyncCalls: 1 },
      why: 'the MC faults off at the defaults: a CMDDONE posted twice, a request lost',
    },
    {
      bounds: { lengths: 3, requests: 1, asyncCalls: 1 },
      why: 'every reply length with error answers (the lengths=3 killBounds turn errors off)',
    },
  ],
  // Random walks only: pci-doe's tours and pairs are 7,000-20,000 steps at every set (refusal
  // steps included), too long to replay against every surviving mutant here.
  'pci-doe': [
    {
      bounds: { reset: 1 },
      generators: ['random'],
      why: 'an FLR (device_reset) is off at the defaults and in every killBounds',
    },
    {
      bounds: { otherUser: 2 },
      generators: ['random'],
      why: 'another user leaving DOE Error set (other_user_error) needs otherUser = 2',
    },
    {
      bounds: { dirtyStart: 1, busyClearIrq: 2 },
      generators: ['random'],
      why: 'INT_STATUS already set at probe, and a probe whose BUSY clearing raises no interrupt',
    },
    {
      bounds: { protocols: 2, pollInterval: 0 },
      generators: ['random'],
      why: 'a second discovery exchange in pci_doe_cache_protocols(), and a poll interval of 0 (HZ = 100)',
    },
  ],
  // Not `ringSize: 2` (two transactions in the ring): over 36,000 states and still exploring
  // after two minutes here, too slow to generate even its random walks in a run.
  'idpf-xn': [
    {
      bounds: { duplicate: 1 },
      why: 'the control plane sends a reply twice (the duplicate fault is off at the defaults)',
    },
    {
      bounds: { replyDelay: 2 },
      why: "kept because the recorded runs (docs/test-vectors.md) used it and --retest regenerates their suites: replyDelay=2 alone explores the defaults' graph (no reply is ever held without late=1); the set below is the one that tests replyDelay",
    },
    {
      bounds: { replyDelay: 2, late: 1 },
      generators: CHEAP,
      why: "the control plane holds a reply while later requests pop transactions (replyDelay is 0 at the defaults; without late=1 no reply is ever held, and replyDelay=2 alone gives the defaults' 1,946 states)",
    },
    {
      bounds: { inFlight: 1 },
      why: 'the send queue is full: idpf_send_mb_msg returns -EBUSY (two requests fit at the defaults)',
    },
    {
      bounds: { lengths: 4 },
      why: 'every reply length: long and zero-length replies (the defaults have exact and short)',
    },
    {
      bounds: { error: 0 },
      why: 'only good replies: the repertoire without error or wrong-opcode answers',
    },
  ],
  // Tour, pairs and random walks only: their state and edge covers were not tried (no time left).
  'mic-cosm': [
    {
      bounds: { strangers: 1, pollErrors: 1 },
      generators: ['tour', 'pairs', 'random'],
      why: "a connection from a node without a cosm_device, and an error return of the work's scif_poll (both off at the defaults)",
    },
    {
      bounds: { hostRing: 1, heartbeatEnable: 0 },
      generators: ['tour', 'pairs', 'random'],
      why: "a host ring of one message (cosm_shutdown's scif_send blocks: shutdown.sent / shutdown.interrupted), and heartbeats off",
    },
  ],
  // Not `tokens: 1, cpus: 1, late: 1` (a token reused while a late reply for its previous
  // transfer is due): the correct driver diverges from the model there (docs/test-vectors.md,
  // "Mutation scores"), and Stryker needs the unmutated driver to pass every suite.
  'scmi-virtio': [
    {
      bounds: { error: 1, lost: 1, cpus: 1, async: 1, transfers: 1, late: 1 },
      generators: CHEAP,
      why: 'the device faults off at the defaults and in every killBounds: an SCMI error status, a lost buffer',
    },
    {
      bounds: { maxMsg: 1, tokens: 2 },
      why: 'the pool runs out while tokens are left (pending_xfers.size < max_msg decides alone)',
    },
    {
      bounds: { maxMsg: 1, tokens: 1 },
      generators: CHEAP,
      why: 'the pool and the token space run out (-ENOMEM, -EBUSY); the defaults have a message and a token per transfer',
    },
    {
      bounds: { async: 2, cpus: 1 },
      why: 'two delayed responses: one comes while the RX handler runs (its callbacks off); with its state cover (41,390 steps)',
    },
    {
      bounds: { tokens: 1, cpus: 1, late: 1 },
      generators: CHEAP,
      why: "a token reused while a late reply for its previous transfer is due: the token search and reply_in's stale case (the token's safety boundary, docs/scmi-virtio.md)",
    },
  ],
};
