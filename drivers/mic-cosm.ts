/**
 * Intel MIC COSM, host side, as imperative TypeScript: the system under test for
 * `mailbox-models conform mic-cosm`. It does not import the model.
 *
 * The code is drivers/misc/mic/cosm/cosm_scif_server.c from sources/mic-cosm-scif.txt
 * (cited `seed:<line>`: cosm_scif_server, cosm_scif_work, cosm_set_online, cosm_send_time,
 * cosm_scif_recv, cosm_shutdown_status_int, cosm_update_mic_status, cosm_set_crashed,
 * cosm_scif_close, cosm_scif_exit) and, from Linux 4.4–5.9 cosm_main.c, cosm_start, cosm_stop,
 * cosm_hw_reset, cosm_reset, cosm_reset_trigger_work, cosm_shutdown and cosm_driver_remove;
 * cosm_sysfs.c's cosm_set_shutdown_status; bus/cosm_bus.c's cosm_find_cdev_by_id,
 * cosm_unregister_device and cosm_release_dev.
 *
 * The default driver is the seed with the smallest fixes of docs/mic-cosm.md: a refused
 * cosm_set_online closes the endpoint it will not serve (finding 1); a SHUTDOWN_STATUS moves only
 * an ONLINE card to SHUTTING_DOWN (finding 2); the server hands newepd over under cosm_mutex,
 * closing an endpoint the work has not taken yet and dropping the extra reference, and
 * cosm_set_online clears newepd (finding 3); a connection from a node without a cosm_device is
 * closed (finding 4); cosm_driver_remove stops the server thread before cosm_stop flushes the
 * work (finding 5). The variant `as-written` is the seed exactly.
 *
 * Execution contexts (generator functions that `yield` where the C code can be preempted, at
 * the model's grain; stepped through harness/execution-contexts.ts):
 * - `server`: the cosm_server kthread, asleep in scif_accept, or between finding the device and
 *   handing newepd over (seed:331-348); it returns when kthread_should_stop;
 * - `scif_work<i>`: card i's scif_work: dequeued and waiting for cosm_mutex, blocked in
 *   cosm_send_time's scif_send holding it, after cosm_set_online's put_device (before the
 *   unlock), asleep in scif_poll, or back from it waiting for cosm_mutex (seed:272-315);
 * - `reset_work<i>`: card i's reset_trigger_work running cosm_stop, asleep in flush_work;
 * - `sysfs<i>`: a write to card i's sysfs `state` file (cosm_start, cosm_shutdown, cosm_reset),
 *   which returns within its event unless cosm_shutdown's scif_send sleeps on a full ring;
 * - `remove<i>`: device_unregister of card i's cosm_device: cosm_driver_remove, and for the last
 *   device cosm_scif_exit, then the bus's put_device.
 *
 * The seams, simulated below the driver and driven by the adapter: SCIF (endpoints, their rings,
 * POLLIN / POLLHUP, the listen backlog), the card (cosm_client: its client thread's 30 s poll and
 * heartbeats, the reboot notifier's status, closing or crashing), the hardware (hw_ops), the
 * system workqueue, the device core (references, release) and time. Time is jiffies at one jiffy
 * per 5 s (HZ = 1/5): msecs_to_jiffies rounds up, and a timer armed with `expires` fires at
 * `expires + 1` at the earliest; `tick` advances jiffies and is refused while a timer that is
 * due has not fired (its softirq and the woken thread run within the tick). Outputs are what
 * user space, the hardware, SCIF and the device core see: `publish {card, status}`,
 * `cosm_set_state {card, state}`, `hw_start {card}`, `hw_stop {card}`, `scif_close {card, ep}`
 * (card null for a node without a cosm_device) and `device_release {card}` (cosm_release_dev).
 * SCIF numbers a card's endpoints `ep` from 0, each new one the lowest number no open endpoint
 * to that card has. A freed cosm_device is poisoned: touching it throws, as KASAN reports.
 *
 * Variants: MIC_COSM_DRIVER_VARIANTS are each killed by a suite generated from the correct
 * model at its default bounds (test/mic-cosm-driver.test.ts).
 */
import {
  NotEnabledError,
  type DriverAdapter,
  type DriverDefinition,
  type DriverVariant,
} from '../src/testgen/conform.ts';
import {
  BLOCKED,
  ExecutionContexts,
  waitAt,
  type Preemptible,
} from '../harness/execution-contexts.ts';
import type { VectorEvent } from '../src/testgen/vectors.ts';
import type { Output } from '../src/model/model.ts';

const ENOTCONN = 107;
const ECONNRESET = 104;
const EINVAL = 22;
const EINTR = 4;
const ERESTARTSYS = 512;

/* enum mic_states (include/uapi/linux/mic_common.h) */
const MIC_READY = 0;
const MIC_BOOTING = 1;
const MIC_ONLINE = 2;
const MIC_SHUTTING_DOWN = 3;
const MIC_RESETTING = 4;
const MIC_RESET_FAILED = 5;
/** The names the outputs use for enum mic_states. */
const MIC_STATE_NAME = ['READY', 'BOOTING', 'ONLINE', 'SHUTTING_DOWN', 'RESETTING', 'RESET_FAILED'];
const cosm_state_string = [
  'ready',
  'booting',
  'online',
  'shutting_down',
  'resetting',
  'reset_failed',
];

/* enum mic_status */
const MIC_NOP = 0;
const MIC_CRASHED = 1;
const MIC_HALTED = 2;
const MIC_POWER_OFF = 3;
const MIC_RESTART = 4;
/** The names user space sees for enum mic_status; any other value is published as INVALID. */
const MIC_STATUS_NAME = ['NOP', 'CRASHED', 'HALTED', 'POWER_OFF', 'RESTART'];

/* enum cosm_msg_id (cosm_main.h) */
const COSM_MSG_SHUTDOWN = 1 << 0;
const COSM_MSG_SYNC_TIME = 1 << 1;
const COSM_MSG_HEARTBEAT = 1 << 2;
const COSM_MSG_SHUTDOWN_STATUS = 1 << 3;

const MSEC_PER_SEC = 1000;
const COSM_HEARTBEAT_SEND_SEC = 30;
const COSM_HEARTBEAT_SEND_MSEC = COSM_HEARTBEAT_SEND_SEC * MSEC_PER_SEC;
const COSM_HEARTBEAT_CHECK_DELTA_SEC = 10;
const MIC_RESET_TO = 45;

/** One jiffy per 5 s (the model's tick). */
const MSEC_PER_JIFFY = 5000;
const msecs_to_jiffies = (m: number) => Math.ceil(m / MSEC_PER_JIFFY);
/** time_after(a, b): strictly after. */
const time_after = (a: number, b: number) => a > b;

const POLLIN = 0x0001;
const POLLERR = 0x0008;
const POLLHUP = 0x0010;
const SCIF_SEND_BLOCK = 1;
const SCIF_ACCEPT_SYNC = 1;
const SCIF_COSM_LISTEN_PORT = 201;
const COSM_SCIF_BACKLOG = 16;

/** struct cosm_msg: u64 id, then a u64 shutdown_status or a struct timespec64. */
interface cosm_msg {
  id: number;
  shutdown_status: number;
  timespec: number;
}
const sizeof_cosm_msg = 24;
const cosm_msg_init = (id: number): cosm_msg => ({ id, shutdown_status: 0, timespec: 0 });

// ---------------------------------------------------------------------------------------------
// Variants

const AS_WRITTEN = 'as-written';
const REFUSED_ONLINE_LEAKS = 'refused-online-leaks-newepd';
const LATE_STATUS = 'late-status-sets-shutting-down';
const HANDOFF_UNLOCKED = 'newepd-handoff-unlocked';
const UNKNOWN_NODE_LEAKS = 'unknown-node-leaks-newepd';
const EXIT_AFTER_FLUSH = 'server-stopped-after-flush';
const PUBLISH_ON_RECEIPT = 'publish-on-receipt';
const ONLINE_FROM_ANY = 'online-from-any-state';
const ACCEPT_ANY_STATUS = 'accept-any-status';
const WATCHDOG_ON_AFTER_STATUS = 'watchdog-on-after-status';
const SHORT_TIMEOUT = 'timeout-below-heartbeat-period';
const WATCHDOG_NOT_ARMED = 'watchdog-not-armed';
const POLL_WITHOUT_TIMEOUT = 'poll-without-timeout';
const NO_STOP_WHEN_SHUTTING_DOWN = 'no-hw-stop-when-shutting-down';
const REFUSED_KEEPS_REFERENCE = 'refused-online-keeps-reference';

export const MIC_COSM_DRIVER_VARIANTS: DriverVariant[] = [
  {
    name: AS_WRITTEN,
    description: 'The seed as written: findings 1 to 5 unfixed.',
    source:
      'sources/mic-cosm-scif.txt:163-164, 250, 255-259, 345-348; cosm_main.c cosm_driver_remove',
  },
  {
    name: REFUSED_ONLINE_LEAKS,
    description:
      'A refused cosm_set_online leaves cdev->newepd open (finding 1, as written): the `scif_close` the fix makes there is missing.',
    source: 'sources/mic-cosm-scif.txt:255-259 "not going online in state"',
  },
  {
    name: LATE_STATUS,
    description:
      'cosm_shutdown_status_int sets SHUTTING_DOWN from any other state (finding 2, as written): a status processed after cosm_reset or cosm_stop re-opens the boot.',
    source: 'sources/mic-cosm-scif.txt:163-164 "if (cdev->state != MIC_SHUTTING_DOWN)"',
  },
  {
    name: HANDOFF_UNLOCKED,
    description:
      'The server stores newepd and schedules the work without cosm_mutex and without looking at an endpoint not yet taken; cosm_set_online never clears newepd (finding 3, as written).',
    source: 'sources/mic-cosm-scif.txt:250, 347-348',
  },
  {
    name: UNKNOWN_NODE_LEAKS,
    description:
      'A connection whose node has no cosm_device is dropped without scif_close (finding 4, as written).',
    source: 'sources/mic-cosm-scif.txt:344-346 "if (!cdev) continue;"',
    // The removal is 0 at the default bounds (it multiplies the states by five).
    killBounds: { remove: 1 },
  },
  {
    name: EXIT_AFTER_FLUSH,
    description:
      'cosm_driver_remove calls cosm_scif_exit after cosm_stop has flushed the work (finding 5, as written).',
    source: 'cosm_main.c cosm_driver_remove; sources/mic-cosm-scif.txt:422-437',
    // The removal is 0 at the default bounds (it multiplies the states by five).
    killBounds: { remove: 1 },
  },
  {
    name: PUBLISH_ON_RECEIPT,
    description:
      'cosm_shutdown_status_int publishes the status at once instead of keeping it in shutdown_status_int until the endpoint hangs up.',
    source:
      'sources/mic-cosm-scif.txt:228-233 "we notify mpssd to reset the card when SCIF endpoint is closed"',
  },
  {
    name: ONLINE_FROM_ANY,
    description:
      'cosm_set_online without its state check: a new connection takes the card ONLINE from any state.',
    source: 'sources/mic-cosm-scif.txt:239-252',
  },
  {
    name: ACCEPT_ANY_STATUS,
    description:
      'cosm_shutdown_status_int without its switch: a value outside enum mic_status is kept, acted on and published.',
    source: 'sources/mic-cosm-scif.txt:149-159',
  },

  {
    name: SHORT_TIMEOUT,
    description:
      "scif_poll's timeout is the card's heartbeat period (no COSM_HEARTBEAT_CHECK_DELTA_SEC): the poll's timer is due two ticks early, which a tick past it shows.",
    source:
      'sources/mic-cosm-scif.txt:128-130 COSM_HEARTBEAT_TIMEOUT_SEC = SEND_SEC + CHECK_DELTA_SEC',
  },
  {
    name: WATCHDOG_NOT_ARMED,
    description:
      'cosm_set_online does not arm the watchdog: the timeout on a crashed card publishes nothing.',
    source: 'sources/mic-cosm-scif.txt:249',
  },
  {
    name: POLL_WITHOUT_TIMEOUT,
    description: 'The work polls without a timeout (scif_poll(..., -1)): it never times out.',
    source: 'sources/mic-cosm-scif.txt:290',
  },
  {
    name: NO_STOP_WHEN_SHUTTING_DOWN,
    description:
      'cosm_stop skips hw_ops->stop for a SHUTTING_DOWN card: no hw_stop, no SCIF remove, so its endpoint never hangs up and flush_work waits for ever.',
    source:
      'sources/mic-cosm-scif.txt:98-114 "Card reset" steps 1-3; cosm_main.c cosm_stop call_hw_ops',
  },
  {
    name: WATCHDOG_ON_AFTER_STATUS,
    description:
      'cosm_shutdown_status_int does not switch the heartbeat watchdog off: a card that dies after its status is declared CRASHED when the poll times out.',
    source: 'sources/mic-cosm-scif.txt:161 "cdev->heartbeat_watchdog_enable = false"',
  },
  {
    name: REFUSED_KEEPS_REFERENCE,
    description:
      "A refused cosm_set_online returns before put_device: the reference the server's cosm_find_cdev_by_id took is never dropped, so the cosm_device is never freed. No output shows it until the device is removed (device_release missing at remove=1).",
    source:
      'sources/mic-cosm-scif.txt:255-262 "Drop reference acquired by bus_find_device in the server thread"',
  },
];

/**
 * The event types whose being possible the adapter reports (`enabled()`), as the model's
 * `conformance.enabling` names them: the steps of the driver's contexts and what the card can do
 * because of what the host did. Calls, the card's own choices, budgets and time are left out.
 */
const CARD_ENABLING = [
  'work.dequeue',
  'work.online',
  'work.sent',
  'work.exit',
  'work.sleep',
  'work.poll',
  'work.timeout',
  'work.process',
  'stop.flushed',
  'server.accept',
  'remove.flushed',
  'remove.done',
  'exit.kill',
  'shutdown.sent',
  'shutdown.interrupted',
  'card.heartbeat',
  'card.recv',
];
const GLOBAL_ENABLING = ['server.acceptStranger', 'server.schedule', 'server.exit', 'exit.close'];
const ENABLING: ReadonlySet<string> = new Set([
  ...CARD_ENABLING,
  ...GLOBAL_ENABLING,
  'stop.run',
  'remove.stop',
]);

// ---------------------------------------------------------------------------------------------
// Kernel pieces the driver uses, simulated at the grain the driver sees them

interface mutex {
  locked: boolean;
}

/** mutex_lock sleeps while another context holds it. */
function* mutex_lock(lock: mutex): Preemptible {
  while (lock.locked) yield BLOCKED;
  lock.locked = true;
}

function mutex_unlock(lock: mutex): void {
  lock.locked = false;
}

interface work_struct {
  func: (work: work_struct) => Preemptible;
  /** WORK_STRUCT_PENDING: queued and not yet picked by a worker. */
  pending: boolean;
  /** The workqueue's view (struct worker): an execution is running, and how many finished. */
  running: boolean;
  completed: number;
}

const INIT_WORK = (func: (work: work_struct) => Preemptible): work_struct => ({
  func,
  pending: false,
  running: false,
  completed: 0,
});

/** schedule_work: false when the work is already queued (a running one is queued again). */
function schedule_work(work: work_struct): boolean {
  if (work.pending) return false;
  work.pending = true;
  return true;
}

/** The worker: PENDING is cleared before the function runs, so it can be queued again. */
function* process_one_work(work: work_struct): Preemptible {
  work.pending = false;
  work.running = true;
  yield* work.func(work);
  work.running = false;
  work.completed++;
}

/**
 * flush_work: waits until the last queued instance has run, i.e. the running execution and
 * the queued one behind it. It always sleeps once (the `stop.flushed` / `remove.flushed` step).
 */
function* flush_work(work: work_struct): Preemptible {
  const barrier = work.completed + (work.running ? 1 : 0) + (work.pending ? 1 : 0);
  yield* waitAt('flush_work', () => work.completed >= barrier);
}

/** Thrown when code touches memory that has been freed (what KASAN would report). */
export class UseAfterFree extends Error {
  override name = 'UseAfterFree';
}

/**
 * kfree for a simulated object: from now on any access throws. `obj` must have been made with
 * `kzalloc` (a proxy that checks the poison flag).
 */
function kzalloc<T extends object>(fields: T): T {
  const state = { freed: false, what: '' };
  const proxy = new Proxy(fields, {
    get(target, key, receiver) {
      if (key === '__kfree') return (what: string) => ((state.freed = true), (state.what = what));
      if (state.freed) throw new UseAfterFree(`${state.what}: read of ${String(key)} after kfree`);
      return Reflect.get(target, key, receiver);
    },
    set(target, key, value, receiver) {
      if (state.freed) throw new UseAfterFree(`${state.what}: write of ${String(key)} after kfree`);
      return Reflect.set(target, key, value, receiver);
    },
  });
  return proxy;
}

function kfree(obj: object, what: string): void {
  (obj as { __kfree: (what: string) => void }).__kfree(what);
}

// ---------------------------------------------------------------------------------------------
// SCIF, host and card ends

/** A host SCIF endpoint (scif_epd_t) connected to a card's client_epd (or to the host itself). */
interface scif_endpt {
  /** CONNECTED; DISCONNECTED once the card closed its end or its node was removed (POLLHUP);
   *  CLOSED once the host scif_close()d it. */
  state: 'CONNECTED' | 'DISCONNECTED' | 'CLOSED';
  /** The peer's SCIF node id (cosm device id + 1; 0 for the host itself). */
  node: number;
  /** Its number among the endpoints to that node: what `scif_close` outputs name. */
  ep: number;
  /** Card-to-host messages not yet scif_recv()d. */
  recvq: cosm_msg[];
  /** Host-to-card messages in the card's receive ring, not yet read by the card. */
  sendq: cosm_msg[];
  peer: client_endpt;
}
type scif_epd_t = scif_endpt;

/** The card's end (cosm_client's client_epd). */
interface client_endpt {
  host: scif_endpt;
  /** The card died holding it (crash, or a hardware reset without a SCIF remove): it will
   *  never send or read again, but no SCIF_DISCNCT tells the host either. */
  dead: boolean;
}

interface scif_pollepd {
  epd: scif_epd_t | null;
  events: number;
  revents: number;
}

/** A context asleep in scif_poll; `wake` says what the adapter let happen. */
interface poll_waiter {
  ufds: scif_pollepd[];
  /** jiffies + the timeout when armed (schedule_timeout), null for no timeout. */
  expires: number | null;
  wake: 'event' | 'timeout' | 'error' | null;
}

interface scif_port_id {
  node: number;
  port: number;
}

/** The listening endpoint: connect requests in its backlog (node ids), and whether it is open. */
interface listen_endpt {
  port: number;
  backlog: number;
  conreqs: number[];
  closed: boolean;
}

// ---------------------------------------------------------------------------------------------
// The card (cosm_client and the kernel around it): the environment

type card_state =
  | 'off'
  | 'booting' // scif_connect from cosm_scif_probe waits in the host's listen backlog
  | 'running' // cosm_scif_client thread polls client_epd and heartbeats
  | 'powering_off' // orderly_poweroff / reboot under way, the reboot notifier has not run
  | 'notified' // cosm_reboot_event sent SHUTDOWN_STATUS; device shutdown not yet at remove
  | 'halted'
  | 'unloaded' // rmmod cosm_client (or its connect was refused)
  | 'crashed';

interface mic_card {
  state: card_state;
  client_epd: client_endpt | null;
  /** hw_ops->ready: the firmware answers (after a reset, the `ok` of that reset). */
  firmware_ready: boolean;
  /** jiffies when hw_ops->start booted it: it connects after that jiffy at the earliest. */
  booted_at: number | null;
  /** The client thread's scif_poll timer (expires), while it polls. */
  client_expires: number | null;
  /** The client thread's poll returned and it owes a heartbeat (blocked in scif_send if full). */
  owes_heartbeat: boolean;
}

/**
 * What the card's reboot notifier puts in shutdown_status (cosm_reboot_event: the reboot
 * event, SYS_RESTART turned into SYSTEM_RESTART). INVALID is what a card on Linux 4.13+ sends
 * for a restart: SYSTEM_RESTART is 5 there, outside enum mic_status (docs/mic-cosm.md); CRASHED
 * is what only a misbehaving card sends.
 */
const CARD_STATUS: Record<string, number> = {
  CRASHED: 1,
  HALTED: 2, // SYS_HALT
  POWER_OFF: 3, // SYS_POWER_OFF
  RESTART: 4, // SYSTEM_RESTART before 4.13
  INVALID: 5, // SYSTEM_RESTART since 4.13
};

const clientRuns = (card: mic_card) =>
  card.state === 'running' || card.state === 'powering_off' || card.state === 'notified';

// ---------------------------------------------------------------------------------------------
// The driver

interface cosm_hw_ops {
  start(cdev: cosm_device, id: number): number;
  stop(cdev: cosm_device, force: boolean): void;
  reset(cdev: cosm_device): void;
  force_reset?: (cdev: cosm_device) => void;
  ready(cdev: cosm_device): boolean;
  post_reset?: (cdev: cosm_device, state: number) => void;
}

/** struct device, as far as the driver's references go. */
interface device {
  refcount: number;
  /** device_del has run klist_del: subsys_find_device_by_id no longer finds it. */
  deleted: boolean;
}

interface cosm_device {
  dev: device;
  index: number;
  state: number;
  prev_state: number;
  /** What user space reads from sysfs shutdown_status. */
  shutdown_status: number;
  /** The status received from the card, published when its endpoint hangs up. */
  shutdown_status_int: number;
  heartbeat_watchdog_enable: boolean;
  sysfs_heartbeat_enable: boolean;
  bootmode: string;
  epd: scif_epd_t | null;
  newepd: scif_epd_t | null;
  cosm_mutex: mutex;
  scif_work: work_struct;
  reset_trigger_work: work_struct;
  hw_ops: cosm_hw_ops;
  /** The sysfs files exist (device_destroy removes them). */
  sdev: boolean;
}

function createMicCosmDriver(variants: ReadonlySet<string>): DriverAdapter {
  const has = (name: string) => variants.has(name);
  const asWritten = has(AS_WRITTEN);
  const refusedOnlineLeaks = asWritten || has(REFUSED_ONLINE_LEAKS);
  const lateStatusSetsShuttingDown = asWritten || has(LATE_STATUS);
  const handoffUnlocked = asWritten || has(HANDOFF_UNLOCKED);
  const unknownNodeLeaks = asWritten || has(UNKNOWN_NODE_LEAKS);
  const exitAfterFlush = asWritten || has(EXIT_AFTER_FLUSH);

  const COSM_HEARTBEAT_TIMEOUT_SEC = has(SHORT_TIMEOUT)
    ? COSM_HEARTBEAT_SEND_SEC
    : COSM_HEARTBEAT_SEND_SEC + COSM_HEARTBEAT_CHECK_DELTA_SEC;
  const COSM_HEARTBEAT_TIMEOUT_MSEC = has(POLL_WITHOUT_TIMEOUT)
    ? -1
    : COSM_HEARTBEAT_TIMEOUT_SEC * MSEC_PER_SEC;

  let bounds: Readonly<Record<string, number>> = {};
  let outputs: Output[] = [];
  const contexts = new ExecutionContexts();
  let cdevs: cosm_device[] = [];
  let cards: mic_card[] = [];
  let jiffies = 0;
  /** SCIF: host endpoints not yet closed. */
  let scif_endpoints: scif_endpt[] = [];
  /** Contexts asleep in scif_poll, and how each will wake up. */
  let poll_waiters: poll_waiter[] = [];
  let listen_epd: listen_endpt | null = null;
  /** The node whose connect request scif_accept takes next (the adapter's choice). */
  let accept_from: number | null = null;
  /** cosm_main.c g_num_dev: probed devices. */
  let g_num_dev = 0;
  /** The server thread: task_struct flags it reads. */
  let server_should_stop = false;
  let server_signal = false;
  let server_thread: string | null = null;
  /** Signals sent to a sysfs writer (kill while it sleeps in scif_send). */
  const sysfs_signal = new Set<number>();
  /** Connects from a node without a cosm_device made so far (budget). */
  let strangers = 0;
  /** The device core: cosm_devices it has released (freed; their memory is poisoned). */
  const released = new Set<number>();

  /* ---------- helpers the C code calls ---------- */

  const dev_dbg = (..._args: unknown[]) => {};
  const dev_err = dev_dbg;
  const dev_warn = dev_dbg;
  const pr_err = dev_dbg;
  const getnstimeofday64 = (msg: cosm_msg) => void (msg.timespec = jiffies);

  /** cosm_main.h: the new state, and sysfs_notify_dirent(cdev->state_sysfs) wakes mpssd. */
  function cosm_set_state(cdev: cosm_device, state: number): void {
    dev_dbg(cosm_state_string[cdev.state], '->', cosm_state_string[state]);
    cdev.state = state;
    outputs.push({ type: 'cosm_set_state', card: cdev.index, state: MIC_STATE_NAME[cdev.state] });
  }

  /** cosm_sysfs.c: the status user space sees; sysfs_notify wakes mpssd. */
  function cosm_set_shutdown_status(cdev: cosm_device, shutdown_status: number): void {
    cdev.shutdown_status = shutdown_status;
    outputs.push({
      type: 'publish',
      card: cdev.index,
      status: MIC_STATUS_NAME[shutdown_status] ?? 'INVALID',
    });
  }

  /* ---------- the device core (drivers/base, bus/cosm_bus.c) ---------- */

  function get_device(cdev: cosm_device): void {
    cdev.dev.refcount++;
  }

  /** put_device: the last reference calls cosm_release_dev, which frees the cosm_device. */
  function put_device(cdev: cosm_device): void {
    const dev = cdev.dev;
    dev.refcount--;
    if (dev.refcount === 0) {
      const index = cdev.index;
      released.add(index);
      kfree(cdev, `cosm_device ${index}`);
      outputs.push({ type: 'device_release', card: index });
    }
  }

  /** subsys_find_device_by_id: a reference on a device still on the bus (cosm_bus.c). */
  function cosm_find_cdev_by_id(id: number): cosm_device | null {
    const cdev = cdevs[id];
    if (!cdev || cdev.dev.deleted) return null;
    get_device(cdev);
    return cdev;
  }

  /** container_of: the cosm_device a work item is embedded in (without touching the others). */
  const work_owner = new Map<work_struct, cosm_device>();
  const container_of = (work: work_struct): cosm_device => work_owner.get(work)!;
  const container_of_scif_work = container_of;
  const container_of_reset_trigger_work = container_of;

  /* ---------- cosm_scif_server.c (seed) ---------- */

  /** Publish MIC card's shutdown status to user space MIC daemon (seed:137-143) */
  function cosm_update_mic_status(cdev: cosm_device): void {
    if (cdev.shutdown_status_int !== MIC_NOP) {
      cosm_set_shutdown_status(cdev, cdev.shutdown_status_int);
      cdev.shutdown_status_int = MIC_NOP;
    }
  }

  /** Store MIC card's shutdown status internally when it is received (seed:146-165) */
  function cosm_shutdown_status_int(cdev: cosm_device, shutdown_status: number): void {
    switch (shutdown_status) {
      case MIC_HALTED:
      case MIC_POWER_OFF:
      case MIC_RESTART:
      case MIC_CRASHED:
        break;
      default:
        if (has(ACCEPT_ANY_STATUS)) break;
        dev_err('Unexpected shutdown_status', shutdown_status);
        return;
    }
    cdev.shutdown_status_int = shutdown_status;
    if (!has(WATCHDOG_ON_AFTER_STATUS)) cdev.heartbeat_watchdog_enable = false;

    // As written, any state but SHUTTING_DOWN; the fix (finding 2): only an ONLINE card is
    // shutting down. A status processed after cosm_stop belongs to a boot that is over.
    if (lateStatusSetsShuttingDown ? cdev.state !== MIC_SHUTTING_DOWN : cdev.state === MIC_ONLINE)
      cosm_set_state(cdev, MIC_SHUTTING_DOWN);

    if (has(PUBLISH_ON_RECEIPT)) cosm_update_mic_status(cdev);
  }

  /** Non-blocking recv. Read and process all available messages (seed:168-198) */
  function cosm_scif_recv(cdev: cosm_device): void {
    const msg = cosm_msg_init(0);
    let rc: number;

    while (true) {
      rc = scif_recv(cdev.epd, msg, sizeof_cosm_msg, 0);
      if (!rc) {
        break;
      } else if (rc < 0) {
        dev_dbg('rc', rc);
        break;
      }
      switch (msg.id) {
        case COSM_MSG_SHUTDOWN_STATUS:
          cosm_shutdown_status_int(cdev, msg.shutdown_status);
          break;
        case COSM_MSG_HEARTBEAT:
          /* Nothing to do, heartbeat only unblocks scif_poll */
          break;
        default:
          dev_err('unknown msg.id', msg.id);
          break;
      }
    }
  }

  /** Publish crashed status for this MIC card (seed:201-206) */
  function cosm_set_crashed(cdev: cosm_device): void {
    dev_err('node alive timeout');
    cosm_shutdown_status_int(cdev, MIC_CRASHED);
    cosm_update_mic_status(cdev);
  }

  /** Send host time to the MIC card to sync system time between host and MIC (seed:209-219) */
  function* cosm_send_time(cdev: cosm_device): Preemptible {
    const msg = cosm_msg_init(COSM_MSG_SYNC_TIME);
    getnstimeofday64(msg);
    const rc = yield* scif_send(cdev.epd, msg, sizeof_cosm_msg, SCIF_SEND_BLOCK, null);
    if (rc < 0) dev_err('scif_send failed rc', rc);
  }

  /** Close this cosm_device's endpoint after its peer endpoint on the card has been closed
   *  (seed:226-237) */
  function cosm_scif_close(cdev: cosm_device): void {
    /*
     * Because SHUTDOWN_STATUS message is sent by the MIC cards in the reboot notifier when
     * shutdown is still not complete, we notify mpssd to reset the card when SCIF endpoint
     * is closed.
     */
    cosm_update_mic_status(cdev);
    scif_close(cdev.epd);
    cdev.epd = null;
  }

  /** Set card state to ONLINE when a new SCIF connection from a MIC card is received
   *  (seed:244-263) */
  function* cosm_set_online(cdev: cosm_device): Preemptible<number> {
    let rc = 0;

    if (has(ONLINE_FROM_ANY) || MIC_BOOTING === cdev.state || MIC_ONLINE === cdev.state) {
      if (!has(WATCHDOG_NOT_ARMED)) cdev.heartbeat_watchdog_enable = cdev.sysfs_heartbeat_enable;
      cdev.epd = cdev.newepd;
      // The fix (finding 3): the endpoint is taken, the server may hand over the next one.
      if (!handoffUnlocked) cdev.newepd = null;
      if (cdev.state === MIC_BOOTING) cosm_set_state(cdev, MIC_ONLINE);
      // The variant goes ONLINE from whatever state the card is in (the model's variant).
      else if (has(ONLINE_FROM_ANY) && cdev.state !== MIC_ONLINE) cosm_set_state(cdev, MIC_ONLINE);
      yield* cosm_send_time(cdev);
    } else {
      dev_warn('not going online in state:', cosm_state_string[cdev.state]);
      // The fix (finding 1): nobody else holds newepd; as written it stays open for ever.
      if (!refusedOnlineLeaks) scif_close(cdev.newepd);
      if (!handoffUnlocked) cdev.newepd = null;
      rc = -EINVAL;
      // The variant: an early return on the refusal, as if put_device were on the online
      // path only.
      if (has(REFUSED_KEEPS_REFERENCE)) return rc;
    }
    /* Drop reference acquired by bus_find_device in the server thread */
    put_device(cdev);
    return rc;
  }

  /** Work function for handling work for a SCIF connection from a particular MIC card
   *  (seed:272-315) */
  function* cosm_scif_work(work: work_struct): Preemptible {
    const cdev = container_of_scif_work(work);
    const pollepd: scif_pollepd = { epd: null, events: 0, revents: 0 };
    let rc: number;

    // The worker cleared PENDING and may be preempted before mutex_lock: a schedule_work from
    // the server thread now queues this work again.
    yield* waitAt('cosm_set_online', () => !cdev.cosm_mutex.locked);
    yield* mutex_lock(cdev.cosm_mutex);
    const online = yield* cosm_set_online(cdev);
    // put_device has dropped the server's reference, cosm_mutex still held: another CPU's
    // put_device can free the device before the unlock below.
    yield online === 0 ? 'sleep' : 'exit';
    if (online === 0) {
      while (true) {
        pollepd.epd = cdev.epd;
        pollepd.events = POLLIN;

        /* Drop the mutex before blocking in scif_poll(..) */
        mutex_unlock(cdev.cosm_mutex);
        /* poll(..) with timeout on our endpoint */
        rc = yield* scif_poll([pollepd], 1, COSM_HEARTBEAT_TIMEOUT_MSEC);
        // Back from scif_poll, waiting for cosm_mutex: sysfs calls and the reset work can
        // take it first.
        yield* waitAt('process', () => !cdev.cosm_mutex.locked);
        yield* mutex_lock(cdev.cosm_mutex);
        if (rc < 0) {
          dev_err('scif_poll rc', rc);
          continue;
        }

        /* There is a message from the card */
        if (pollepd.revents & POLLIN) cosm_scif_recv(cdev);

        /* The peer endpoint is closed or this endpoint disconnected */
        if (pollepd.revents & POLLHUP) {
          cosm_scif_close(cdev);
          break;
        }

        /* Did we timeout from poll? */
        if (!rc && cdev.heartbeat_watchdog_enable) cosm_set_crashed(cdev);
      }
    }
    // exit:
    dev_dbg('exiting');
    mutex_unlock(cdev.cosm_mutex);
  }

  /** COSM SCIF server thread function (seed:322-353) */
  function* cosm_scif_server(): Preemptible<number> {
    const port_id: scif_port_id = { node: 0, port: 0 };
    const newepd: { epd: scif_epd_t | null } = { epd: null };
    let cdev: cosm_device | null;
    let rc: number;

    // allow_signal(SIGKILL)
    while (!kthread_should_stop()) {
      rc = yield* scif_accept(listen_epd, port_id, newepd, SCIF_ACCEPT_SYNC);
      if (rc < 0) {
        if (-ERESTARTSYS !== rc) pr_err('rc', rc);
        continue;
      }

      /*
       * Associate the incoming connection with a particular cosm_device, COSM device ID ==
       * SCIF node ID - 1
       */
      cdev = cosm_find_cdev_by_id(port_id.node - 1);
      if (!cdev) {
        // The fix (finding 4): nobody will ever serve or close it otherwise.
        if (!unknownNodeLeaks) scif_close(newepd.epd);
        continue;
      }
      // The kthread runs without any lock here: the card's work, a removal and a whole card
      // driver reload can run before it hands the endpoint over.
      const found = cdev;
      yield* waitAt('found', () => handoffUnlocked || !found.cosm_mutex.locked);
      if (handoffUnlocked) {
        cdev.newepd = newepd.epd;
        schedule_work(cdev.scif_work);
      } else {
        // The fix (finding 3): under cosm_mutex, replace an endpoint the work has not taken
        // (its connection is gone: the card reconnected) and drop this accept's reference,
        // which no work run will drop; else schedule the run that takes it.
        yield* mutex_lock(cdev.cosm_mutex);
        const old = cdev.newepd;
        cdev.newepd = newepd.epd;
        mutex_unlock(cdev.cosm_mutex);
        if (old) {
          scif_close(old);
          put_device(cdev);
        } else {
          schedule_work(cdev.scif_work);
        }
      }
    }
    return 0;
  }

  const kthread_should_stop = () => server_should_stop;

  function cosm_scif_listen(): number {
    listen_epd = {
      port: SCIF_COSM_LISTEN_PORT,
      backlog: COSM_SCIF_BACKLOG,
      conreqs: [],
      closed: false,
    };
    return 0;
  }

  function cosm_scif_listen_exit(): void {
    if (listen_epd) {
      scif_close_listen(listen_epd);
      listen_epd = null;
    }
  }

  function cosm_scif_init(): number {
    const rc = cosm_scif_listen();
    if (rc) return rc;
    // kthread_run(cosm_scif_server, NULL, "cosm_server"): it runs to scif_accept and sleeps.
    server_thread = 'server';
    contexts.start(server_thread, cosm_scif_server());
    return 0;
  }

  /** Stop the running server thread and close the listening SCIF endpoint (seed:422-437) */
  function* cosm_scif_exit(): Preemptible {
    if (server_thread !== null) {
      // send_sig(SIGKILL, server_thread, 0), then kthread_stop: should_stop, wake, wait.
      server_signal = true;
      server_should_stop = true;
      const stopping = server_thread;
      yield* waitAt('kthread_stop', () => !contexts.isRunning(stopping));
      server_thread = null;
    }
    cosm_scif_listen_exit();
  }

  /* ---------- cosm_main.c ---------- */

  function cosm_hw_reset(cdev: cosm_device, force: boolean): void {
    if (force && cdev.hw_ops.force_reset) cdev.hw_ops.force_reset(cdev);
    else cdev.hw_ops.reset(cdev);
    for (let i = 0; i < MIC_RESET_TO; i++) {
      if (cdev.hw_ops.ready(cdev)) {
        cosm_set_state(cdev, MIC_READY);
        return;
      }
      /* Resets typically take 10s of seconds to complete (msleep(1000), within this step) */
    }
    cosm_set_state(cdev, MIC_RESET_FAILED);
  }

  function* cosm_start(cdev: cosm_device): Preemptible<number> {
    let rc = 0;
    yield* mutex_lock(cdev.cosm_mutex);
    unlock_ret: {
      if (!cdev.bootmode) {
        rc = -EINVAL;
        break unlock_ret;
      }
      // retry:
      while (true) {
        if (cdev.state !== MIC_READY) {
          dev_err('MIC state not READY');
          rc = -EINVAL;
          break unlock_ret;
        }
        if (cdev.hw_ops.ready(cdev)) break;
        cosm_hw_reset(cdev, false);
        /* The state will either be MIC_READY or MIC_RESET_FAILED: goto retry */
      }
      // (the root credentials for the firmware download are not modelled)
      rc = cdev.hw_ops.start(cdev, cdev.index);
      if (rc) break unlock_ret;
      /*
       * If linux is being booted, card is treated 'online' only when the scif interface in
       * the card is up. If anything else is booted, we set card to 'online' immediately.
       */
      if (cdev.bootmode === 'linux') cosm_set_state(cdev, MIC_BOOTING);
      else cosm_set_state(cdev, MIC_ONLINE);
    }
    mutex_unlock(cdev.cosm_mutex);
    if (rc) dev_err('cosm_start failed rc', rc);
    return rc;
  }

  /** cosm_stop up to its mutex_unlock; the flush_work after it is the caller's next step. */
  function* cosm_stop_locked(cdev: cosm_device, force: boolean): Preemptible {
    yield* mutex_lock(cdev.cosm_mutex);
    if (cdev.state !== MIC_READY || force) {
      /*
       * Don't call hw_ops if they have been called previously. stop(..) calls
       * device_unregister and will crash the system if called multiple times.
       */
      const state = cdev.state === MIC_RESETTING ? cdev.prev_state : cdev.state;
      const call_hw_ops =
        state !== MIC_RESET_FAILED &&
        state !== MIC_READY &&
        !(has(NO_STOP_WHEN_SHUTTING_DOWN) && state === MIC_SHUTTING_DOWN);

      if (cdev.state !== MIC_RESETTING) cosm_set_state(cdev, MIC_RESETTING);
      cdev.heartbeat_watchdog_enable = false;
      if (call_hw_ops) cdev.hw_ops.stop(cdev, force);
      cosm_hw_reset(cdev, force);
      cosm_set_shutdown_status(cdev, MIC_NOP);
      if (call_hw_ops && cdev.hw_ops.post_reset) cdev.hw_ops.post_reset(cdev, cdev.state);
    }
    mutex_unlock(cdev.cosm_mutex);
  }

  function* cosm_stop(cdev: cosm_device, force: boolean): Preemptible {
    yield* cosm_stop_locked(cdev, force);
    yield* flush_work(cdev.scif_work);
  }

  function* cosm_reset_trigger_work(work: work_struct): Preemptible {
    yield* cosm_stop(container_of_reset_trigger_work(work), false);
  }

  function* cosm_reset(cdev: cosm_device): Preemptible<number> {
    let rc = 0;
    yield* mutex_lock(cdev.cosm_mutex);
    if (cdev.state !== MIC_READY) {
      if (cdev.state !== MIC_RESETTING) {
        cdev.prev_state = cdev.state;
        cosm_set_state(cdev, MIC_RESETTING);
        schedule_work(cdev.reset_trigger_work);
      } else {
        dev_err('MIC is RESETTING');
        rc = -EINVAL;
      }
    } else {
      dev_err('MIC is READY');
      rc = -EINVAL;
    }
    mutex_unlock(cdev.cosm_mutex);
    return rc;
  }

  function* cosm_shutdown(cdev: cosm_device): Preemptible<number> {
    const msg = cosm_msg_init(COSM_MSG_SHUTDOWN);
    let rc = 0;
    yield* mutex_lock(cdev.cosm_mutex);
    err: {
      if (cdev.state !== MIC_ONLINE) {
        rc = -EINVAL;
        dev_err('skipping shutdown in state:', cosm_state_string[cdev.state]);
        break err;
      }
      if (!cdev.epd) {
        rc = -ENOTCONN;
        dev_err('scif endpoint not connected rc', rc);
        break err;
      }
      rc = yield* scif_send(cdev.epd, msg, sizeof_cosm_msg, SCIF_SEND_BLOCK, cdev.index);
      if (rc < 0) {
        dev_err('scif_send failed rc', rc);
        break err;
      }
      cdev.heartbeat_watchdog_enable = false;
      cosm_set_state(cdev, MIC_SHUTTING_DOWN);
      rc = 0;
    }
    mutex_unlock(cdev.cosm_mutex);
    return rc;
  }

  /**
   * cosm_driver_remove (cosm_main.c), called by device_unregister after klist_del, followed by
   * the bus's put_device. As written, cosm_scif_exit (for the last device) comes after cosm_stop
   * has flushed the work; the fix (finding 5) stops the server thread first.
   */
  function* cosm_driver_remove(cdev: cosm_device): Preemptible {
    // device_del: klist_del, then the driver's remove: device_destroy of the sysfs files.
    cdev.dev.deleted = true;
    cdev.sdev = false;
    yield 'begun';
    yield* flush_work_now(cdev.reset_trigger_work);
    if (exitAfterFlush) {
      yield* cosm_stop(cdev, false);
      if (--g_num_dev === 0) yield* cosm_scif_exit();
      yield 'done';
    } else {
      if (--g_num_dev === 0) {
        yield* cosm_scif_exit();
        yield 'cosm_stop';
      }
      yield* cosm_stop(cdev, false);
      yield 'done';
    }
    /* These sysfs entries might have allocated: kfree(cdev->cmdline) ... */
  }

  /** flush_work that the model takes as already returned: the work must be idle. */
  function* flush_work_now(work: work_struct): Preemptible {
    if (work.pending || work.running) throw new NotEnabledError('the reset work is not idle');
    yield* [];
  }

  /** device_unregister → device_del (→ cosm_driver_remove) → put_device (cosm_bus.c). */
  function* cosm_unregister_device(cdev: cosm_device): Preemptible {
    yield* cosm_driver_remove(cdev);
    put_device(cdev);
  }

  // ===========================================================================================
  // Below: the environment the adapter drives (SCIF, the card, the hardware, time)

  /* ---------- SCIF, host side ---------- */

  /** scif_accept(SCIF_ACCEPT_SYNC): sleeps until a connect request is taken, or a signal. */
  function* scif_accept(
    lep: listen_endpt | null,
    peer: scif_port_id,
    newepd: { epd: scif_epd_t | null },
    _flags: number,
  ): Preemptible<number> {
    if (!lep || lep.closed) return -EINVAL;
    yield 'scif_accept';
    // wait_event_interruptible(conwq, conreqcnt || state != LISTENING): a pending request is
    // taken even with a signal pending; without one, the signal ends the wait.
    while (accept_from === null) {
      if (server_signal) return -ERESTARTSYS;
      yield BLOCKED;
    }
    if (lep.closed) return -EINTR;
    const node = accept_from;
    accept_from = null;
    lep.conreqs = lep.conreqs.filter((n, i) => n !== node || i !== lep.conreqs.indexOf(node));
    const ep = scif_connection(node);
    scif_endpoints.push(ep);
    if (node > 0) {
      // The card's scif_connect returns: cosm_client starts its thread on client_epd.
      const card = cards[node - 1];
      card.client_epd = ep.peer;
      card.state = 'running';
      card.booted_at = null;
      client_polls(card);
    }
    peer.node = ep.node;
    peer.port = SCIF_COSM_LISTEN_PORT;
    newepd.epd = ep;
    return 0;
  }

  /** A new connection: the host's endpoint and the card's client_epd, each the other's peer. */
  function scif_connection(node: number): scif_endpt {
    const open = new Set(scif_endpoints.filter((e) => e.node === node).map((e) => e.ep));
    let number = 0;
    while (open.has(number)) number++;
    const ep = {
      state: 'CONNECTED',
      node,
      ep: number,
      recvq: [],
      sendq: [],
    } as Omit<scif_endpt, 'peer'>;
    const peer: client_endpt = { host: ep as scif_endpt, dead: false };
    return Object.assign(ep, { peer });
  }

  function scif_poll_mask(epd: scif_epd_t | null): number {
    // An endpoint already closed polls as hung up (use after close: as written only).
    if (!epd || epd.state === 'CLOSED') return POLLHUP;
    return (epd.recvq.length > 0 ? POLLIN : 0) | (epd.state === 'DISCONNECTED' ? POLLHUP : 0);
  }

  /** scif_poll: sleeps until an endpoint is ready, the timeout's timer fires, or an error;
   *  the adapter's `work.poll` / `work.timeout` / `work.pollError` wake it. */
  function* scif_poll(
    ufds: scif_pollepd[],
    nfds: number,
    timeout_msecs: number,
  ): Preemptible<number> {
    // schedule_timeout(msecs_to_jiffies(timeout)): a timer at jiffies + timeout.
    const expires = timeout_msecs < 0 ? null : jiffies + msecs_to_jiffies(timeout_msecs);
    const waiter: poll_waiter = { ufds: ufds.slice(0, nfds), expires, wake: null };
    poll_waiters.push(waiter);
    yield 'scif_poll';
    while (waiter.wake === null) yield BLOCKED;
    poll_waiters = poll_waiters.filter((w) => w !== waiter);
    if (waiter.wake === 'error') return -EINTR;
    let rc = 0;
    for (const fd of waiter.ufds) {
      fd.revents =
        waiter.wake === 'timeout' ? 0 : scif_poll_mask(fd.epd) & (fd.events | POLLHUP | POLLERR);
      if (fd.revents) rc++;
    }
    return rc;
  }

  /** Non-blocking scif_recv of one message: its size, 0 when none, < 0 once disconnected. */
  function scif_recv(epd: scif_epd_t | null, msg: cosm_msg, len: number, _flags: number): number {
    if (!epd || epd.state === 'CLOSED') return -ENOTCONN;
    const next = epd.recvq.shift();
    if (!next) return epd.state === 'DISCONNECTED' ? -ECONNRESET : 0;
    Object.assign(msg, next);
    return len;
  }

  /**
   * Host scif_send(SCIF_SEND_BLOCK): fails once the peer is gone; sleeps while the card's
   * receive ring is full (interruptible: a signal to the sysfs writer `sysfs` ends it).
   */
  function* scif_send(
    epd: scif_epd_t | null,
    msg: cosm_msg,
    len: number,
    _flags: number,
    sysfs: number | null,
  ): Preemptible<number> {
    if (!epd || epd.state === 'CLOSED') return -ENOTCONN;
    if (epd.state !== 'CONNECTED') return -ECONNRESET;
    const blocked = () => epd.state === 'CONNECTED' && epd.sendq.length >= bounds.hostRing;
    if (blocked()) {
      // wait_event_interruptible: room in the ring, the peer gone, or (a writer) a signal.
      const signalled = () => sysfs !== null && sysfs_signal.has(sysfs);
      yield* waitAt('scif_send', () => !blocked() || signalled());
      if (blocked() && sysfs_signal.delete(sysfs!)) return -ERESTARTSYS;
      if (epd.state !== 'CONNECTED') return -ECONNRESET;
    }
    epd.sendq.push({ ...msg });
    return len;
  }

  /** Host scif_close: the endpoint is freed; the card's end sees the host gone (SCIF_DISCNCT).
   *  Closing one already closed (use after close: as written only) frees nothing. */
  function scif_close(epd: scif_epd_t | null): void {
    if (!epd || epd.state === 'CLOSED') return;
    outputs.push({ type: 'scif_close', card: epd.node === 0 ? null : epd.node - 1, ep: epd.ep });
    epd.state = 'CLOSED';
    scif_endpoints = scif_endpoints.filter((ep) => ep !== epd);
  }

  /** scif_close of the listening endpoint: pending connect requests are rejected. */
  function scif_close_listen(lep: listen_endpt): void {
    lep.closed = true;
    for (const node of lep.conreqs) {
      // SCIF_CNCT_REJ: cosm_scif_connect's retries fail, the client is not started.
      if (node > 0 && cards[node - 1].state === 'booting') {
        cards[node - 1].state = 'unloaded';
        cards[node - 1].booted_at = null;
      }
    }
    lep.conreqs = [];
  }

  /* ---------- SCIF, card side ---------- */

  /**
   * The card's scif_send(client_epd, ..., SCIF_SEND_BLOCK): 'failed' when the host end is
   * gone, 'full' when it would block. The host endpoint holds `inflight` messages, heartbeats
   * counting as one (the bound's meaning: a heartbeat only wakes scif_poll).
   */
  function card_scif_send(card: mic_card, msg: cosm_msg): 'sent' | 'failed' | 'full' {
    const host = card.client_epd?.host;
    if (!host || host.state !== 'CONNECTED') return 'failed';
    if (msg.id === COSM_MSG_HEARTBEAT && host.recvq.some((m) => m.id === COSM_MSG_HEARTBEAT))
      return 'sent';
    if (host.recvq.length >= bounds.inflight) return 'full';
    host.recvq.push({ ...msg });
    return 'sent';
  }

  /** The client thread (re)enters scif_poll with COSM_HEARTBEAT_SEND_MSEC. */
  function client_polls(card: mic_card): void {
    card.owes_heartbeat = false;
    card.client_expires = jiffies + msecs_to_jiffies(COSM_HEARTBEAT_SEND_MSEC);
  }

  /** The client thread sends its heartbeat, or stays blocked owing it. */
  function client_heartbeat(card: mic_card): void {
    if (card_scif_send(card, cosm_msg_init(COSM_MSG_HEARTBEAT)) === 'full') {
      card.owes_heartbeat = true;
      card.client_expires = null;
    } else {
      client_polls(card);
    }
  }

  /** cosm_scif_remove on the card closes client_epd: the host end gets POLLHUP. */
  function card_scif_close(card: mic_card): void {
    const end = card.client_epd;
    if (end && end.host.state === 'CONNECTED') end.host.state = 'DISCONNECTED';
    card.client_epd = null;
    card.client_expires = null;
    card.owes_heartbeat = false;
  }

  /** The card stops for good without closing anything: its end goes quiet. */
  function card_dies(card: mic_card, state: card_state): void {
    if (card.client_epd) card.client_epd.dead = true;
    card.client_epd = null;
    card.client_expires = null;
    card.owes_heartbeat = false;
    card.booted_at = null;
    card.state = state;
    if (listen_epd)
      listen_epd.conreqs = listen_epd.conreqs.filter((n) => n !== cards.indexOf(card) + 1);
  }

  /* ---------- the hardware (hw_ops of the MIC PCIe driver) ---------- */

  const hw_ops: cosm_hw_ops = {
    start(cdev) {
      outputs.push({ type: 'hw_start', card: cdev.index });
      // The card boots Linux, loads cosm_client, and cosm_scif_probe connects to the host.
      const card = cards[cdev.index];
      card.state = 'booting';
      card.booted_at = jiffies;
      listen_epd?.conreqs.push(cdev.index + 1);
      return 0;
    },
    stop(cdev) {
      outputs.push({ type: 'hw_stop', card: cdev.index });
      // The SCIF HW device is unregistered: scif_remove -> scif_disconnect_node, every
      // endpoint to the card hangs up (seed:103-114), and the card's SCIF is gone.
      for (const ep of scif_endpoints)
        if (ep.node === cdev.index + 1 && ep.state === 'CONNECTED') ep.state = 'DISCONNECTED';
      card_scif_close(cards[cdev.index]);
    },
    reset(cdev) {
      // Whatever ran on the card is gone; without a SCIF remove first its end just goes quiet.
      card_dies(cards[cdev.index], 'off');
    },
    ready(cdev) {
      return cards[cdev.index].firmware_ready;
    },
  };

  /* ---------- the adapter ---------- */

  /** A sysfs write that returns within the event; a failing call is not the model's step. */
  function sysfs_call(c: number, what: string, code: Preemptible<number>): void {
    const cdev = live(c);
    if (!cdev.sdev) throw new NotEnabledError(`card ${c}'s sysfs files are gone`);
    if (contexts.isRunning(`sysfs${c}`)) throw new NotEnabledError(`a writer sleeps in ${what}`);
    const result = contexts.start(`sysfs${c}`, code);
    if (!result.done) {
      if (what === 'cosm_shutdown' && result.at === 'scif_send') return; // sleeps in scif_send
      throw new NotEnabledError(`${what} did not return`);
    }
    if (result.value !== 0) throw new NotEnabledError(`${what} returned ${result.value}`);
  }

  function live(c: number): cosm_device {
    const cdev = cdevs[c];
    if (!cdev) throw new NotEnabledError(`no card ${c}`);
    return cdev;
  }

  /** The context asleep in scif_poll on card c's endpoint. */
  function pollWaiter(c: number) {
    if (contexts.at(`scif_work${c}`) !== 'scif_poll')
      throw new NotEnabledError(`scif_work${c} is not in scif_poll`);
    const waiter = poll_waiters.find((w) => w.ufds[0].epd?.node === c + 1);
    if (!waiter) throw new NotEnabledError(`no scif_poll on card ${c}'s endpoint`);
    return waiter;
  }

  function card(c: number, ...states: card_state[]): mic_card {
    const it = cards[c];
    if (!it) throw new NotEnabledError(`no card ${c}`);
    if (!states.includes(it.state)) throw new NotEnabledError(`card ${c} is ${it.state}`);
    return it;
  }

  /** Advances context `name` and requires it to reach one of `at` (or finish, if allowed). */
  function step(name: string, from: string, at: readonly string[], finish = false): void {
    const result = contexts.advanceFrom(name, from);
    if (result.done ? !finish : !at.includes(result.at))
      throw new NotEnabledError(
        `${name} went to ${result.done ? 'its end' : result.at}, not ${at.join(' or ')}`,
      );
  }

  /**
   * Before a tick: every timer that is due has fired and its waiter has run (the timer softirq
   * and the woken thread run within the tick). A poll timer is due at expires + 1; a client
   * thread whose heartbeat would block on a full queue sleeps until the host reads.
   */
  function checkNothingDue(): void {
    for (const w of poll_waiters)
      if (w.wake === null && w.expires !== null && time_after(jiffies, w.expires))
        throw new NotEnabledError('a scif_poll timer is due and has not fired');
    for (const c of cards.keys())
      if (card_can_heartbeat(c))
        throw new NotEnabledError(`card ${c}'s client thread owes a heartbeat`);
  }

  /* ---------- what can happen now, read from the driver's state and its fakes ----------
   * The events of the model's enabling types (docs/mic-cosm.md, "Conformance both ways"):
   * apply() refuses each of them unless `possible` says so, and enabled() lists those it says
   * so of. Context steps ask where the context stopped and whether its wait (waitAt) is over. */

  /** The cosm_device of card c, unless the device core has freed it. */
  const cdevOf = (c: number): cosm_device | null =>
    cdevs[c] && !released.has(c) ? cdevs[c] : null;

  const workIdle = (work: work_struct) => !work.pending && !work.running;

  /** The client thread's poll timed out (or it owes a heartbeat) and its scif_send would not
   *  block: the host end is gone, or a heartbeat is queued already, or there is room. */
  function card_can_heartbeat(c: number): boolean {
    const it = cards[c];
    if (!it || !clientRuns(it)) return false;
    const due =
      it.owes_heartbeat || (it.client_expires !== null && time_after(jiffies, it.client_expires));
    const host = it.client_epd?.host;
    const blocks =
      host !== undefined &&
      host.state === 'CONNECTED' &&
      !host.recvq.some((m) => m.id === COSM_MSG_HEARTBEAT) &&
      host.recvq.length >= bounds.inflight;
    return due && !blocks;
  }

  /** The waiter asleep in scif_poll on card c's endpoint, not yet woken. */
  function sleepingPoll(c: number): poll_waiter | null {
    if (contexts.at(`scif_work${c}`) !== 'scif_poll') return null;
    return poll_waiters.find((w) => w.wake === null && w.ufds[0].epd?.node === c + 1) ?? null;
  }

  /** cosm_stop with `ok` (the firmware answers after the reset): `ok` only matters when it
   *  resets, i.e. the card is not READY. */
  const stopChoice = (cdev: cosm_device, ok: boolean) => ok || cdev.state !== MIC_READY;

  function possible(event: VectorEvent): boolean {
    const c = typeof event.card === 'number' ? event.card : -1;
    const work = `scif_work${c}`;
    const removal = `remove${c}`;
    switch (event.type) {
      case 'work.dequeue': {
        const cdev = cdevOf(c);
        return !!cdev && cdev.scif_work.pending && !contexts.isRunning(work);
      }
      case 'work.online':
        return contexts.at(work) === 'cosm_set_online' && contexts.ready(work);
      case 'work.sent':
        return contexts.at(work) === 'scif_send' && contexts.ready(work);
      case 'work.exit':
        return contexts.at(work) === 'exit';
      case 'work.sleep':
        return contexts.at(work) === 'sleep';
      case 'work.process':
        return contexts.at(work) === 'process' && contexts.ready(work);
      case 'work.poll': {
        const waiter = sleepingPoll(c);
        return !!waiter && waiter.ufds.some((fd) => scif_poll_mask(fd.epd) & (fd.events | POLLHUP));
      }
      case 'work.timeout': {
        const waiter = sleepingPoll(c);
        return (
          !!waiter &&
          waiter.expires !== null &&
          time_after(jiffies, waiter.expires) &&
          !waiter.ufds.some((fd) => scif_poll_mask(fd.epd))
        );
      }
      case 'stop.run': {
        const cdev = cdevOf(c);
        return (
          !!cdev &&
          cdev.reset_trigger_work.pending &&
          !contexts.isRunning(`reset_work${c}`) &&
          !cdev.cosm_mutex.locked &&
          stopChoice(cdev, event.ok === true)
        );
      }
      case 'stop.flushed':
        return contexts.at(`reset_work${c}`) === 'flush_work' && contexts.ready(`reset_work${c}`);
      case 'server.accept': {
        const it = cards[c];
        return (
          contexts.at('server') === 'scif_accept' &&
          !!it &&
          it.state === 'booting' &&
          !!listen_epd?.conreqs.includes(c + 1) &&
          (it.booted_at === null || time_after(jiffies, it.booted_at))
        );
      }
      case 'server.acceptStranger':
        return contexts.at('server') === 'scif_accept' && !!listen_epd?.conreqs.includes(0);
      case 'server.schedule':
        return contexts.at('server') === 'found' && contexts.ready('server');
      case 'server.exit':
        return contexts.at('server') === 'scif_accept' && server_should_stop;
      case 'remove.stop': {
        const cdev = cdevOf(c);
        const from = contexts.at(removal);
        // From `begun` the last device goes to cosm_scif_exit first (the fix of finding 5).
        const next =
          from === 'cosm_stop' || (from === 'begun' && (exitAfterFlush || g_num_dev > 1));
        return (
          !!cdev &&
          next &&
          workIdle(cdev.reset_trigger_work) &&
          !cdev.cosm_mutex.locked &&
          stopChoice(cdev, event.ok === true)
        );
      }
      case 'remove.flushed':
        return contexts.at(removal) === 'flush_work' && contexts.ready(removal);
      case 'remove.done':
        return contexts.at(removal) === 'done';
      case 'exit.kill': {
        const cdev = cdevOf(c);
        return (
          !exitAfterFlush &&
          !!cdev &&
          contexts.at(removal) === 'begun' &&
          g_num_dev === 1 &&
          workIdle(cdev.reset_trigger_work)
        );
      }
      case 'exit.close':
        return cards.some(
          (_, i) => contexts.at(`remove${i}`) === 'kthread_stop' && contexts.ready(`remove${i}`),
        );
      case 'shutdown.sent':
        return contexts.at(`sysfs${c}`) === 'scif_send' && contexts.ready(`sysfs${c}`);
      case 'shutdown.interrupted':
        return contexts.at(`sysfs${c}`) === 'scif_send' && !contexts.ready(`sysfs${c}`);
      case 'card.heartbeat':
        return card_can_heartbeat(c);
      case 'card.recv': {
        const it = cards[c];
        const host = it?.client_epd?.host;
        return (
          !!it &&
          clientRuns(it) &&
          !!host &&
          host.state !== 'CLOSED' &&
          host.sendq.length > 0 &&
          it.client_expires !== null &&
          !time_after(jiffies, it.client_expires)
        );
      }
      default:
        throw new Error(`${event.type} is not an enabling event of mic-cosm`);
    }
  }

  /** Every event of an enabling type, with the payloads these bounds allow. */
  function candidates(): VectorEvent[] {
    const list: VectorEvent[] = [];
    for (const card of cards.keys()) {
      for (const type of CARD_ENABLING) list.push({ type, card });
      for (const type of ['stop.run', 'remove.stop'])
        list.push({ type, card, ok: true }, { type, card, ok: false });
    }
    for (const type of GLOBAL_ENABLING) list.push({ type });
    return list;
  }

  return {
    reset(next) {
      bounds = next;
      outputs = [];
      contexts.clear();
      jiffies = 0;
      scif_endpoints = [];
      accept_from = null;
      poll_waiters = [];
      server_should_stop = false;
      server_signal = false;
      sysfs_signal.clear();
      strangers = 0;
      released.clear();
      cards = Array.from({ length: bounds.cards }, () => ({
        state: 'off' as card_state,
        client_epd: null,
        firmware_ready: true,
        booted_at: null,
        client_expires: null,
        owes_heartbeat: false,
      }));
      // cosm_register_device (bus reference) + cosm_driver_probe: each card READY, bootmode
      // "linux"; the first probe starts the SCIF server.
      g_num_dev = bounds.cards;
      cdevs = Array.from({ length: bounds.cards }, (_, index) =>
        kzalloc<cosm_device>({
          dev: { refcount: 1, deleted: false },
          index,
          state: MIC_READY,
          prev_state: MIC_READY,
          shutdown_status: MIC_NOP,
          shutdown_status_int: MIC_NOP,
          heartbeat_watchdog_enable: false,
          sysfs_heartbeat_enable: bounds.heartbeatEnable === 1,
          bootmode: 'linux',
          epd: null,
          newepd: null,
          cosm_mutex: { locked: false },
          scif_work: INIT_WORK(cosm_scif_work),
          reset_trigger_work: INIT_WORK(cosm_reset_trigger_work),
          hw_ops,
          sdev: true,
        }),
      );
      work_owner.clear();
      for (const cdev of cdevs) {
        work_owner.set(cdev.scif_work, cdev);
        work_owner.set(cdev.reset_trigger_work, cdev);
      }
      cosm_scif_init();
      return [];
    },

    enabled() {
      return candidates().filter(possible);
    },

    observe() {
      // struct cosm_device's fields as the model names them, the host endpoints SCIF still has
      // open per card, and the work's scif_poll timer as ticks to go (-1 once passed).
      const fields: Record<string, unknown> = {};
      for (const c of cards.keys()) {
        const at = (field: string, value: unknown) => (fields[`card${c}.${field}`] = value);
        const cdev = cdevOf(c);
        at('freed', cdev === null);
        if (cdev === null) continue;
        const ep = (epd: scif_epd_t | null) =>
          epd === null ? null : epd.state === 'CLOSED' ? -1 : epd.ep;
        const waiter = sleepingPoll(c);
        // The device core's reference count less the bus's own, which device_unregister
        // drops when cosm_driver_remove has returned.
        const busRef = cdev.dev.deleted && !contexts.isRunning(`remove${c}`) ? 0 : 1;
        at('state', MIC_STATE_NAME[cdev.state]);
        at('prevState', cdev.state === MIC_RESETTING ? MIC_STATE_NAME[cdev.prev_state] : null);
        at('statusInt', MIC_STATUS_NAME[cdev.shutdown_status_int] ?? 'INVALID');
        at('watchdog', cdev.heartbeat_watchdog_enable);
        at('epd', ep(cdev.epd));
        at('newepd', ep(cdev.newepd));
        at('workPending', cdev.scif_work.pending);
        at('resetPending', cdev.reset_trigger_work.pending);
        at('refs', cdev.dev.refcount - busRef);
        at(
          'endpoints',
          scif_endpoints
            .filter((e) => e.node === c + 1)
            .map((e) => e.ep)
            .sort((a, b) => a - b),
        );
        at(
          'pollTimer',
          !waiter || waiter.expires === null ? null : Math.max(waiter.expires - jiffies, -1),
        );
      }
      fields.strays = scif_endpoints.filter((e) => e.node === 0).length;
      return fields;
    },

    apply(event) {
      outputs = [];
      if (ENABLING.has(event.type) && !possible(event))
        throw new NotEnabledError(`${event.type} is not possible now`);
      const c = typeof event.card === 'number' ? event.card : -1;
      switch (event.type) {
        /* ---- user space: writes to sysfs `state` ---- */
        case 'start':
          sysfs_call(c, 'cosm_start', cosm_start(live(c)));
          break;
        case 'shutdown':
          sysfs_call(c, 'cosm_shutdown', cosm_shutdown(live(c)));
          break;
        case 'shutdown.sent':
          // The ring has room (the card read) or the peer is gone: the call returns.
          step(`sysfs${c}`, 'scif_send', [], true);
          break;
        case 'shutdown.interrupted':
          sysfs_signal.add(c);
          step(`sysfs${c}`, 'scif_send', [], true);
          break;
        case 'reset':
          sysfs_call(c, 'cosm_reset', cosm_reset(live(c)));
          break;

        /* ---- the system workqueue ---- */
        case 'stop.run': {
          // A worker runs reset_trigger_work: cosm_stop up to flush_work. `ok`: the card's
          // firmware answers hw_ops->ready after the reset.
          const cdev = live(c);
          if (!cdev.reset_trigger_work.pending) throw new NotEnabledError('no reset queued');
          cards[c].firmware_ready = event.ok === true;
          const result = contexts.start(
            `reset_work${c}`,
            process_one_work(cdev.reset_trigger_work),
          );
          if (result.done || result.at !== 'flush_work')
            throw new NotEnabledError('cosm_stop did not reach flush_work');
          break;
        }
        case 'stop.flushed':
          step(`reset_work${c}`, 'flush_work', [], true);
          break;
        case 'work.dequeue': {
          const cdev = live(c);
          if (!cdev.scif_work.pending) throw new NotEnabledError('scif_work is not queued');
          contexts.start(`scif_work${c}`, process_one_work(cdev.scif_work));
          break;
        }
        case 'work.online':
          step(`scif_work${c}`, 'cosm_set_online', ['sleep', 'scif_send', 'exit']);
          break;
        case 'work.sent':
          step(`scif_work${c}`, 'scif_send', ['sleep']);
          break;
        case 'work.exit':
          step(`scif_work${c}`, 'exit', [], true);
          break;
        case 'work.sleep':
          step(`scif_work${c}`, 'sleep', ['scif_poll']);
          break;
        case 'work.process':
          step(`scif_work${c}`, 'process', ['scif_poll'], true);
          break;

        /* ---- scif_poll wakes up: something to read or a hang-up, its timer, an error ---- */
        case 'work.poll': {
          const waiter = pollWaiter(c);
          if (!waiter.ufds.some((fd) => scif_poll_mask(fd.epd) & (fd.events | POLLHUP)))
            throw new NotEnabledError('nothing wakes scif_poll');
          waiter.wake = 'event';
          step(`scif_work${c}`, 'scif_poll', ['process']);
          break;
        }
        case 'work.timeout': {
          const waiter = pollWaiter(c);
          if (waiter.expires === null || !time_after(jiffies, waiter.expires))
            throw new NotEnabledError("scif_poll's timer has not fired");
          if (waiter.ufds.some((fd) => scif_poll_mask(fd.epd)))
            throw new NotEnabledError('scif_poll has an event');
          waiter.wake = 'timeout';
          step(`scif_work${c}`, 'scif_poll', ['process']);
          break;
        }
        case 'work.pollError': {
          const waiter = pollWaiter(c);
          waiter.wake = 'error';
          step(`scif_work${c}`, 'scif_poll', ['process']);
          break;
        }

        /* ---- the server thread ---- */
        case 'server.accept': {
          if (contexts.at('server') !== 'scif_accept')
            throw new NotEnabledError('the server is not in scif_accept');
          const it = card(c, 'booting');
          if (!listen_epd?.conreqs.includes(c + 1)) throw new NotEnabledError('no connect request');
          if (it.booted_at !== null && !time_after(jiffies, it.booted_at))
            throw new NotEnabledError('the card has not booted yet');
          accept_from = c + 1;
          const result = contexts.advance('server');
          if (!result.done && result.at !== 'found' && result.at !== 'scif_accept')
            throw new NotEnabledError(`the server went to ${result.at}`);
          break;
        }
        case 'server.acceptStranger': {
          if (contexts.at('server') !== 'scif_accept')
            throw new NotEnabledError('the server is not in scif_accept');
          if (!listen_epd?.conreqs.includes(0)) throw new NotEnabledError('no stranger connect');
          accept_from = 0;
          const result = contexts.advance('server');
          if (!result.done && result.at !== 'scif_accept')
            throw new NotEnabledError(`the server went to ${result.at}`);
          break;
        }
        case 'stranger.connect':
          // A process on the host connects to SCIF_COSM_LISTEN_PORT on its own node.
          if (!listen_epd || listen_epd.closed || listen_epd.conreqs.includes(0))
            throw new NotEnabledError('no listening endpoint to connect to');
          if (strangers >= bounds.strangers) throw new NotEnabledError('no stranger left');
          strangers++;
          listen_epd.conreqs.push(0);
          break;
        case 'server.schedule': {
          const result = contexts.advanceFrom('server', 'found');
          if (!result.done && result.at !== 'scif_accept')
            throw new NotEnabledError(`the server went to ${result.at}`);
          break;
        }
        case 'server.exit':
          if (!server_should_stop) throw new NotEnabledError('kthread_stop has not been called');
          step('server', 'scif_accept', [], true);
          break;

        /* ---- removal of a cosm_device and the server's stop ---- */
        case 'remove.begin': {
          const cdev = live(c);
          if (bounds.remove === 0 || contexts.isRunning(`remove${c}`) || cdev.dev.deleted)
            throw new NotEnabledError('no removal');
          if (contexts.isRunning(`sysfs${c}`))
            throw new NotEnabledError('a sysfs writer is active');
          const result = contexts.start(`remove${c}`, cosm_unregister_device(cdev));
          if (result.done || result.at !== 'begun')
            throw new NotEnabledError('removal did not begin');
          break;
        }
        case 'remove.stop': {
          cards[c].firmware_ready = event.ok === true;
          const from = contexts.at(`remove${c}`);
          if (from !== 'begun' && from !== 'cosm_stop')
            throw new NotEnabledError(`remove${c} is at ${from}`);
          step(`remove${c}`, from, ['flush_work']);
          break;
        }
        case 'remove.flushed':
          // As written the last device goes on into cosm_scif_exit's kthread_stop.
          step(`remove${c}`, 'flush_work', ['kthread_stop', 'done']);
          break;
        case 'exit.kill':
          step(`remove${c}`, 'begun', ['kthread_stop']);
          break;
        case 'exit.close':
          for (let i = 0; i < cards.length; i++) {
            if (contexts.at(`remove${i}`) !== 'kthread_stop') continue;
            step(`remove${i}`, 'kthread_stop', ['cosm_stop', 'done']);
            return outputs;
          }
          throw new NotEnabledError('nobody waits in kthread_stop');
        case 'remove.done':
          step(`remove${c}`, 'done', [], true);
          break;

        /* ---- the card ---- */
        case 'card.heartbeat': {
          // The client thread's scif_poll timer fired (or it owes a blocked heartbeat).
          const it = card(c, 'running', 'powering_off', 'notified');
          const due =
            it.owes_heartbeat ||
            (it.client_expires !== null && time_after(jiffies, it.client_expires));
          if (!due) throw new NotEnabledError("the client thread's poll has not timed out");
          client_heartbeat(it);
          if (it.owes_heartbeat) throw new NotEnabledError("the card's scif_send blocks");
          break;
        }
        case 'card.recv': {
          // cosm_client_recv: SYNC_TIME sets the clock, SHUTDOWN calls orderly_poweroff; the
          // client thread then heartbeats.
          const it = card(c, 'running', 'powering_off', 'notified');
          const end = it.client_epd;
          if (!end || end.host.sendq.length === 0 || it.client_expires === null)
            throw new NotEnabledError('nothing for the card');
          if (time_after(jiffies, it.client_expires))
            throw new NotEnabledError('the client thread owes a heartbeat first');
          const shutdown = end.host.sendq.some((m) => m.id === COSM_MSG_SHUTDOWN);
          end.host.sendq = [];
          if (shutdown && it.state === 'running') it.state = 'powering_off';
          client_heartbeat(it);
          break;
        }
        case 'card.reboot':
          card(c, 'running').state = 'powering_off';
          break;
        case 'card.notify': {
          // cosm_reboot_event: SHUTDOWN_STATUS with SCIF_SEND_BLOCK; a failed send is logged.
          const it = card(c, 'powering_off');
          const msg = cosm_msg_init(COSM_MSG_SHUTDOWN_STATUS);
          msg.shutdown_status = CARD_STATUS[event.status as string];
          if (card_scif_send(it, msg) === 'full')
            throw new NotEnabledError("the card's scif_send blocks");
          it.state = 'notified';
          break;
        }
        case 'card.close': {
          const it = card(c, 'notified');
          card_scif_close(it);
          it.state = 'halted';
          break;
        }
        case 'card.crash':
          card_dies(
            card(c, 'booting', 'running', 'powering_off', 'notified', 'unloaded'),
            'crashed',
          );
          break;
        case 'card.unload': {
          const it = card(c, 'running');
          card_scif_close(it);
          it.state = 'unloaded';
          break;
        }
        case 'card.load':
          card(c, 'unloaded').state = 'booting';
          if (!listen_epd || listen_epd.closed) throw new NotEnabledError('nothing listens');
          listen_epd.conreqs.push(c + 1);
          break;

        /* ---- time ---- */
        case 'tick':
          checkNothingDue();
          jiffies++;
          break;

        default:
          throw new NotEnabledError(`unknown event '${event.type}'`);
      }
      return outputs;
    },
  };
}

export const micCosmDriver: DriverDefinition = {
  protocol: 'mic-cosm',
  file: 'drivers/mic-cosm.ts',
  variants: MIC_COSM_DRIVER_VARIANTS,
  create: createMicCosmDriver,
};
