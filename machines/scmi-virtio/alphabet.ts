/**
 * The SCMI virtio model's events (what the callers, the device, the other contexts and time can
 * do) and its outputs (what the transport and the core observably do), shared by the machine,
 * the properties and the tests.
 */

export type ScmiEvent =
  /** The SCMI core starts a transfer on this CPU: xfer_get() + virtio_send_message(). */
  | { type: 'send'; cpu: number; polled: boolean }
  /** ... with do_xfer_with_response(): not polled, a delayed response awaited after the reply. */
  | { type: 'send_async'; cpu: number }
  /** This CPU's caller runs to its next preemption point. */
  | { type: 'step'; cpu: number }
  /** The virtqueue interrupt is taken on this CPU: vring_interrupt(). */
  | { type: 'irq'; cpu: number }
  | { type: 'irq_step' }
  | { type: 'work_step' }
  /** The RX virtqueue's interrupt, and its handler's next step. */
  | { type: 'rx_irq' }
  | { type: 'rx_step' }
  /** The device returns a buffer it holds, with a reply of this status. */
  | { type: 'device_reply'; msg: number; status: number }
  /** The device writes the delayed response it owes for transfer `xfer` into RX buffer `rx`. */
  | { type: 'device_dresp'; xfer: number; rx: number; status: number }
  /** The device loses a buffer: it never returns it (the `lost` fault). */
  | { type: 'device_lose'; msg: number }
  /** The device notifies although callbacks are disabled: the suppression flag is a hint. */
  | { type: 'irq_anyway' }
  /** scmi_remove() frees the TX channel: virtio_chan_free() starts. */
  | { type: 'chan_free' }
  | { type: 'free_step' }
  | { type: 'tick' };

export type Via = 'rx_callback' | 'poll' | 'dresp';

export type ScmiOutput =
  /** The device put a buffer on the used ring with the reply to transfer `reply`. */
  | { type: 'returned'; msg: number; reply: number; status: number }
  /** The core copied a reply into transfer `xfer` (fetch_response); `reply` -1: stale content. */
  | { type: 'fetched'; xfer: number; reply: number; via: Via }
  /** scmi_rx_callback() found no transfer in SENT_OK for the reply's token: dropped. */
  | { type: 'discarded'; reply: number }
  /** The device put an RX buffer on the RX used ring with the delayed response to `reply`. */
  | { type: 'dresp_returned'; rx: number; reply: number; status: number }
  /** The core dropped a delayed response (no transfer expects one for its token). */
  | { type: 'dresp_discarded'; reply: number }
  /** complete(xfer->async_done); `live` false: on NULL or on a completion its waiter has left. */
  | { type: 'async_complete'; xfer: number; live: boolean }
  /** virtio_poll_done() returned true for `xfer`; `reply` is what xfer->priv holds (-1: stale). */
  | { type: 'poll_done'; xfer: number; reply: number }
  /** do_xfer() returned `ret` for transfer `xfer` (0, an errno, -ETIMEDOUT, -EBUSY). */
  | { type: 'completed'; xfer: number; ret: number }
  /** queue_work() on deferred_tx_wq, as it was then: alive, draining, freed or NULL. */
  | { type: 'queue_work'; wq: 'alive' | 'draining' | 'freed' | 'null' }
  /** virtio_chan_free() released the channel: scmi_free_channel(), `vioch->cinfo = NULL`. */
  | { type: 'chan_freed' };
