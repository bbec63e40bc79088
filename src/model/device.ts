/**
 * A hostile device, as bounds: what real hardware and firmware do wrong, each switched on by a
 * bound of the model so that small models stay small and deep bounds turn everything on
 * (docs/engine.md, "A hostile device").
 *
 * Every model names these bounds alike, so that a user reads `lost=1` or `lengths=3` the same
 * way on every protocol, and describes them from one table. A model takes only the faults its
 * transport can produce (virtio cannot duplicate a buffer id without a BAD_RING, for instance)
 * and says so in its docs.
 */
import type { BoundSpec, Bounds } from './model.ts';

/** The faults a device can commit, each a bound. */
export const FAULTS = {
  /** The reply never comes (a lost doorbell, a firmware that drops the request). */
  lost: 'the device may lose a request: its reply never comes',
  /** The same reply comes twice (a retried event, a duplicated completion). */
  duplicate: 'the device may deliver a reply twice',
  /** The reply comes after the driver gave up (beyond its timeout). */
  late: 'the device may answer after the driver has given up (later than its timeout)',
  /** The reply carries an error code instead of success. */
  error: 'the device may answer with an error code',
  /** The device resets (FLR, reboot) in the middle of an exchange. */
  reset: 'the device may reset in the middle of an exchange',
  /** How wrong a reply's length may be: see `replyLengths`. */
  lengths:
    "reply lengths the device may send: 1 exact, 2 also short, 3 also long, 4 also zero, 5 also the spec's largest encoding",
} as const;

export type Fault = keyof typeof FAULTS;

/** The largest value of each fault bound (`lengths` has five levels, the others are on/off). */
const FAULT_MAX: Record<Fault, number> = {
  lost: 1,
  duplicate: 1,
  late: 1,
  error: 1,
  reset: 1,
  lengths: 5,
};

/**
 * Bound specs for the faults a model supports: `{ lost: { default: 1 }, lengths: { default: 2,
 * deep: 4 } }`. A model may narrow the range (`max`) where its transport cannot do more, and
 * add to the description what the fault means in its protocol.
 */
export function faultBounds(
  faults: Partial<Record<Fault, { default: number; deep?: number; max?: number; note?: string }>>,
): BoundSpec[] {
  return (Object.entries(faults) as Array<[Fault, NonNullable<(typeof faults)[Fault]>]>).map(
    ([name, spec]) => ({
      name,
      default: spec.default,
      ...(spec.deep === undefined ? {} : { deep: spec.deep }),
      min: name === 'lengths' ? 1 : 0,
      max: spec.max ?? FAULT_MAX[name],
      description: spec.note ? `${FAULTS[name]} (${spec.note})` : FAULTS[name],
    }),
  );
}

/** Whether a fault is switched on in these bounds (absent bounds are off). */
export function faultOn(bounds: Bounds, fault: Exclude<Fault, 'lengths'>): boolean {
  return (bounds[fault] ?? 0) > 0;
}

/** The kinds of reply length a device may send, in the order the `lengths` bound adds them. */
export const REPLY_LENGTHS = ['exact', 'short', 'long', 'zero', 'max'] as const;
export type ReplyLength = (typeof REPLY_LENGTHS)[number];

/** The reply lengths switched on by a `lengths` bound (1: exact only ... 5: all five). */
export function replyLengths(level: number): ReplyLength[] {
  return REPLY_LENGTHS.slice(0, Math.max(1, Math.min(level, REPLY_LENGTHS.length)));
}

/**
 * A reply length as a number of units (bytes, dwords), for a request that expects `expected`
 * and a protocol whose largest object is `largest`: short is one unit less (0 if that is all
 * there is), long one unit more, max the largest the length field can say.
 */
export function replyLengthValue(kind: ReplyLength, expected: number, largest: number): number {
  switch (kind) {
    case 'exact':
      return expected;
    case 'short':
      return Math.max(0, expected - 1);
    case 'long':
      return expected + 1;
    case 'zero':
      return 0;
    case 'max':
      return largest;
  }
}
