/** The SCMI virtio model's variant names and the flags `build()` derives from them. */

export const VARIANTS = {
  asWritten: 'as-written',
  v7MissingListDel: 'v7-missing-list-del',
  noDeferredWorker: 'no-deferred-worker',
  txdoneFreesTimedOut: 'txdone-frees-timed-out',
  indexMovedMeansDone: 'index-moved-means-done',
  pollDoneNoEnableCb: 'poll-done-no-enable-cb',
  rxLookupOldestPending: 'rx-lookup-oldest-pending',
  destroyWqAfterFreeChannel: 'destroy-wq-after-free-channel',
  teardownAsWritten: 'teardown-as-written',
  rxFeedBeforeCallback: 'rx-feed-before-callback',
  coreAsyncDoneUnlocked: 'core-async-done-unlocked',
} as const;

export interface Flags {
  /** v8 exactly as posted; otherwise the fix described in docs/scmi-virtio.md. */
  asWritten: boolean;
  v7MissingListDel: boolean;
  noDeferredWorker: boolean;
  txdoneFreesTimedOut: boolean;
  indexMovedMeansDone: boolean;
  pollDoneNoEnableCb: boolean;
  rxLookupOldestPending: boolean;
  destroyWqAfterFreeChannel: boolean;
  /**
   * v8's teardown as posted (also part of `asWritten`): poll_done calls queue_work() after
   * dropping vioch->lock, chan_free destroys the workqueue and then NULLs the pointer unlocked.
   */
  teardownAsWritten: boolean;
  /** The RX path gives its buffer back to the device before the core has read it. */
  rxFeedBeforeCallback: boolean;
  /** The v5.17 core: complete(xfer->async_done) and `async_done = NULL` without xfer->lock. */
  coreAsyncDoneUnlocked: boolean;
}

export function flagsOf(variants: ReadonlySet<string>): Flags {
  return {
    asWritten: variants.has(VARIANTS.asWritten),
    v7MissingListDel: variants.has(VARIANTS.v7MissingListDel),
    noDeferredWorker: variants.has(VARIANTS.noDeferredWorker),
    txdoneFreesTimedOut: variants.has(VARIANTS.txdoneFreesTimedOut),
    indexMovedMeansDone: variants.has(VARIANTS.indexMovedMeansDone),
    pollDoneNoEnableCb: variants.has(VARIANTS.pollDoneNoEnableCb),
    rxLookupOldestPending: variants.has(VARIANTS.rxLookupOldestPending),
    destroyWqAfterFreeChannel: variants.has(VARIANTS.destroyWqAfterFreeChannel),
    teardownAsWritten: variants.has(VARIANTS.asWritten) || variants.has(VARIANTS.teardownAsWritten),
    rxFeedBeforeCallback: variants.has(VARIANTS.rxFeedBeforeCallback),
    coreAsyncDoneUnlocked: variants.has(VARIANTS.coreAsyncDoneUnlocked),
  };
}
