/**
 * Intel MIC COSM, host side, as imperative TypeScript: the system under test for
 * `mailbox-models conform mic-cosm`. It does not import the model.
 *
 * The code is drivers/misc/mic/cosm/cosm_scif_server.c from sources/mic-cosm-scif.txt
 * (cited `seed:<line>`: cosm_scif_server, cosm_scif_work, cosm_set_online, cosm_scif_recv,
 * cosm_shutdown_status_int, cosm_update_mic_status, cosm_set_crashed, cosm_scif_close) and, from
 * Linux 4.4–5.9 cosm_main.c, cosm_start, cosm_stop, cosm_hw_reset, cosm_reset,
 * cosm_reset_trigger_work and cosm_shutdown; cosm_sysfs.c's cosm_set_shutdown_status.
 *
 * The default driver is the seed with the two smallest fixes of docs/mic-cosm.md: a refused
 * cosm_set_online closes the endpoint it will not serve (finding 1), and a SHUTDOWN_STATUS
 * moves only an ONLINE card to SHUTTING_DOWN (finding 2). The variant `as-written` is the
 * seed exactly.
 *
 * Execution contexts (generator functions that `yield` where the C code can be preempted, at
 * cosm_mutex grain; stepped through harness/execution-contexts.ts):
 * - `server`: the cosm_server kthread, asleep in scif_accept or preempted between scif_accept
 *   returning and storing cdev->newepd (seed:331-348);
 * - `scif_work<i>`: card i's scif_work: dequeued and waiting for cosm_mutex, asleep in
 *   scif_poll, or back from scif_poll waiting for cosm_mutex (seed:272-315);
 * - `reset_work<i>`: card i's reset_trigger_work running cosm_stop, asleep in flush_work;
 * - `sysfs`: a write to the sysfs `state` file (cosm_start, cosm_shutdown, cosm_reset), which
 *   runs to completion within one event.
 * Every critical section under cosm_mutex runs inside one event, so the mutex is never held
 * between events (mutex_lock still waits, with BLOCKED, if it were).
 *
 * The seams, simulated below the driver and driven by the adapter: SCIF (endpoints, their
 * receive queues, POLLIN / POLLHUP, the listen backlog), the card (cosm_client: heartbeats, the
 * reboot notifier's status, closing or crashing), the hardware (hw_ops start / stop / reset /
 * ready), the system workqueue (schedule_work, the worker, flush_work) and time (scif_poll's
 * timeout). Outputs are what user space, the hardware and SCIF see: `publish {card, status}`
 * (cosm_set_shutdown_status: sysfs `shutdown_status`, which mpssd watches),
 * `cosm_set_state {card, state}` (cosm_set_state's sysfs_notify_dirent on the `state` file,
 * which mpssd reads), `hw_start {card}` and `hw_stop {card}` (hw_ops->start / stop), and
 * `scif_close {card, ep}` (the host closes an endpoint to the card: cosm_scif_close, and the
 * refused cosm_set_online of the fix). SCIF numbers a card's endpoints `ep` from 0, each new
 * one the lowest number no open endpoint to that card has (idr_alloc-style reuse).
 *
 * Variants: MIC_COSM_DRIVER_VARIANTS are each killed by a suite generated from the correct
 * model at its default bounds. MIC_COSM_UNOBSERVABLE_VARIANTS are the model's other variants:
 * what they change shows in no output on any event sequence the correct model offers (each
 * says why), and test/mic-cosm-driver.test.ts checks that they conform (slow-workqueue, being
 * the as-written code, dies only where as-written does).
 */
import {
  NotEnabledError,
  type DriverAdapter,
  type DriverDefinition,
  type DriverVariant,
} from '../src/testgen/conform.ts';
import { BLOCKED, ExecutionContexts, type Preemptible } from '../harness/execution-contexts.ts';
import type { Output } from '../src/model/model.ts';

const ENOTCONN = 107;
const ECONNRESET = 104;
const EINVAL = 22;

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

const COSM_HEARTBEAT_SEND_SEC = 30;
const COSM_HEARTBEAT_SEND_MSEC = COSM_HEARTBEAT_SEND_SEC * 1000;
const COSM_HEARTBEAT_CHECK_DELTA_SEC = 10;
const MSEC_PER_SEC = 1000;
const MIC_RESET_TO = 45;

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
const PUBLISH_ON_RECEIPT = 'publish-on-receipt';
const ONLINE_FROM_ANY = 'online-from-any-state';
const ACCEPT_ANY_STATUS = 'accept-any-status';
const WATCHDOG_ON_AFTER_STATUS = 'watchdog-on-after-status';
const SHORT_TIMEOUT = 'timeout-below-heartbeat-period';
const NO_STOP_WHEN_SHUTTING_DOWN = 'no-hw-stop-when-shutting-down';
const SLOW_WORKQUEUE = 'slow-workqueue';

export const MIC_COSM_DRIVER_VARIANTS: DriverVariant[] = [
  {
    name: AS_WRITTEN,
    description:
      'The seed as written: a refused cosm_set_online leaves newepd open, and cosm_shutdown_status_int moves every state but SHUTTING_DOWN to SHUTTING_DOWN.',
    source: 'sources/mic-cosm-scif.txt:163-164, 255-259',
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
      'cosm_shutdown_status_int sets SHUTTING_DOWN from any other state (seed as written), so a status processed after cosm_reset or cosm_stop re-opens the boot and the next reset calls hw_ops->stop again. ' +
      'The cosm_set_state(MIC_SHUTTING_DOWN) it makes then is seen at once: mpssd is notified of a state the fix never enters there.',
    source: 'sources/mic-cosm-scif.txt:163-164 "if (cdev->state != MIC_SHUTTING_DOWN)"',
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
    name: NO_STOP_WHEN_SHUTTING_DOWN,
    description:
      'cosm_stop skips hw_ops->stop for a SHUTTING_DOWN card: no hw_stop, no SCIF remove, so its endpoint never hangs up and flush_work waits for ever.',
    source:
      'sources/mic-cosm-scif.txt:98-114 "Card reset" steps 1-3; cosm_main.c cosm_stop call_hw_ops',
  },
];

/**
 * The model's variants whose own change no driver output can show on the event sequences the
 * correct model offers. The code has the first two (create() accepts every name); the third is
 * a timing assumption, whose code is as-written's. Each `why` says what hides it.
 */
export const MIC_COSM_UNOBSERVABLE_VARIANTS = [
  {
    name: WATCHDOG_ON_AFTER_STATUS,
    description: 'cosm_shutdown_status_int does not switch the heartbeat watchdog off.',
    source: 'sources/mic-cosm-scif.txt:161 "cdev->heartbeat_watchdog_enable = false"',
    why: 'the watchdog is read only when scif_poll times out, and the correct model offers `work.timeout` only while the watchdog is on (a timeout with it off is a no-op there): after a status, no suite ever lets the poll time out',
  },
  {
    name: SHORT_TIMEOUT,
    description:
      "scif_poll's timeout is the card's heartbeat period (no COSM_HEARTBEAT_CHECK_DELTA_SEC): a live card can be silent for a whole timeout.",
    source:
      'sources/mic-cosm-scif.txt:128-130 COSM_HEARTBEAT_TIMEOUT_SEC = SEND_SEC + CHECK_DELTA_SEC',
    why: 'time only passes through `work.timeout`; the harness lets the shorter timeout expire on a live card, but the correct model never offers that event there',
  },
  {
    name: SLOW_WORKQUEUE,
    description:
      'The seed as written without the timing assumption that queued work runs before the card reconnects.',
    source: 'sources/mic-cosm-scif.txt:347-348 cdev->newepd = newepd without cosm_mutex',
    why: 'a timing assumption of the model, not code: the driver runs the as-written code, so the correct model kills it exactly where it kills as-written (the leaked endpoint), and only the slow-workqueue model offers the late interleavings it adds',
  },
];

// ---------------------------------------------------------------------------------------------
// Kernel pieces the driver uses, simulated at the grain the driver sees them

interface mutex {
  locked: boolean;
}

/** mutex_lock sleeps while another context holds it (never, at event grain: see the header). */
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
 * the queued one behind it. It always sleeps once: the reset work's `stop.flushed` step.
 */
function* flush_work(work: work_struct): Preemptible {
  const barrier = work.completed + (work.running ? 1 : 0) + (work.pending ? 1 : 0);
  yield 'flush_work';
  while (work.completed < barrier) yield BLOCKED;
}

// ---------------------------------------------------------------------------------------------
// SCIF, host and card ends

/** A host SCIF endpoint (scif_epd_t) connected to a card's client_epd. */
interface scif_endpt {
  /** CONNECTED; DISCONNECTED once the card closed its end or its node was removed (POLLHUP);
   *  CLOSED once the host scif_close()d it. */
  state: 'CONNECTED' | 'DISCONNECTED' | 'CLOSED';
  /** The card's SCIF node id (cosm device id + 1). */
  node: number;
  /** Its number among the endpoints to that node: what `scif_close` outputs name. */
  ep: number;
  /** Card-to-host messages not yet scif_recv()d. */
  recvq: cosm_msg[];
  peer: client_endpt;
}
type scif_epd_t = scif_endpt;

/** The card's end (cosm_client's client_epd). */
interface client_endpt {
  host: scif_endpt;
  /** The card died holding it (crash, or a hardware reset without a SCIF remove): it will
   *  never send again, but no SCIF_DISCNCT tells the host either. */
  dead: boolean;
  /** Host-to-card messages the card's client thread has not read. */
  recvq: cosm_msg[];
}

interface scif_pollepd {
  epd: scif_epd_t | null;
  events: number;
  revents: number;
}

/** A context asleep in scif_poll; `wake` says what the adapter let happen. */
interface poll_waiter {
  ufds: scif_pollepd[];
  timeout_msecs: number;
  wake: 'event' | 'timeout' | null;
}

interface scif_port_id {
  node: number;
  port: number;
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
  | 'unloaded' // rmmod cosm_client
  | 'crashed';

interface mic_card {
  state: card_state;
  client_epd: client_endpt | null;
  /** hw_ops->ready: the firmware answers (after a reset, the `ok` of that reset). */
  firmware_ready: boolean;
}

/**
 * What the card's reboot notifier puts in shutdown_status (cosm_reboot_event: the reboot
 * event, SYS_RESTART turned into SYSTEM_RESTART). INVALID is what a card on Linux 4.13+ sends
 * for a restart: SYSTEM_RESTART is 5 there, outside enum mic_status (docs/mic-cosm.md).
 */
const CARD_STATUS: Record<string, number> = {
  HALTED: 2, // SYS_HALT
  POWER_OFF: 3, // SYS_POWER_OFF
  RESTART: 4, // SYSTEM_RESTART before 4.13
  INVALID: 5, // SYSTEM_RESTART since 4.13
};

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

interface cosm_device {
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
}

function createMicCosmDriver(variants: ReadonlySet<string>): DriverAdapter {
  const has = (name: string) => variants.has(name);
  // The seed as written is both findings unfixed; slow-workqueue is the same code.
  const asWritten = has(AS_WRITTEN) || has(SLOW_WORKQUEUE);
  const refusedOnlineLeaks = asWritten || has(REFUSED_ONLINE_LEAKS);
  const lateStatusSetsShuttingDown = asWritten || has(LATE_STATUS);

  const COSM_HEARTBEAT_TIMEOUT_SEC = has(SHORT_TIMEOUT)
    ? COSM_HEARTBEAT_SEND_SEC
    : COSM_HEARTBEAT_SEND_SEC + COSM_HEARTBEAT_CHECK_DELTA_SEC;
  const COSM_HEARTBEAT_TIMEOUT_MSEC = COSM_HEARTBEAT_TIMEOUT_SEC * MSEC_PER_SEC;

  let bounds: Readonly<Record<string, number>> = {};
  let outputs: Output[] = [];
  const contexts = new ExecutionContexts();
  let cdevs: cosm_device[] = [];
  let cards: mic_card[] = [];
  /** SCIF: host endpoints not yet closed, and the card whose connect scif_accept takes next. */
  let scif_endpoints: scif_endpt[] = [];
  let accept_from: number | null = null;
  /** Contexts asleep in scif_poll, and how each will wake up. */
  let poll_waiters: poll_waiter[] = [];
  let listen_epd: object | null = null;

  /* ---------- helpers the C code calls ---------- */

  const dev_dbg = (..._args: unknown[]) => {};
  const dev_err = dev_dbg;
  const dev_warn = dev_dbg;
  const put_device = (_cdev: cosm_device) => {};
  const getnstimeofday64 = (msg: cosm_msg) => void (msg.timespec = 0);

  /** cosm_main.h: the new state, and sysfs_notify_dirent(cdev->state_sysfs) wakes mpssd,
   *  on every call (even one that leaves the state as it was). */
  function cosm_set_state(cdev: cosm_device, state: number): void {
    dev_dbg(cosm_state_string[cdev.state], '->', cosm_state_string[state]);
    cdev.state = state;
    sysfs_notify_dirent(cdev, 'state');
  }

  /** What mpssd sees when the `state` file is notified: the state it then reads. */
  function sysfs_notify_dirent(cdev: cosm_device, _file: 'state'): void {
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

  function cosm_find_cdev_by_id(id: number): cosm_device | null {
    return cdevs[id] ?? null;
  }

  function container_of_scif_work(work: work_struct): cosm_device {
    return cdevs.find((cdev) => cdev.scif_work === work)!;
  }

  function container_of_reset_trigger_work(work: work_struct): cosm_device {
    return cdevs.find((cdev) => cdev.reset_trigger_work === work)!;
  }

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
  function cosm_send_time(cdev: cosm_device): void {
    const msg = cosm_msg_init(COSM_MSG_SYNC_TIME);
    getnstimeofday64(msg);
    const rc = scif_send(cdev.epd, msg, sizeof_cosm_msg, SCIF_SEND_BLOCK);
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
  function cosm_set_online(cdev: cosm_device): number {
    let rc = 0;

    if (has(ONLINE_FROM_ANY) || MIC_BOOTING === cdev.state || MIC_ONLINE === cdev.state) {
      cdev.heartbeat_watchdog_enable = cdev.sysfs_heartbeat_enable;
      cdev.epd = cdev.newepd;
      if (cdev.state === MIC_BOOTING) cosm_set_state(cdev, MIC_ONLINE);
      // The variant goes ONLINE from whatever state the card is in (the model's variant).
      else if (has(ONLINE_FROM_ANY) && cdev.state !== MIC_ONLINE) cosm_set_state(cdev, MIC_ONLINE);
      cosm_send_time(cdev);
    } else {
      dev_warn('not going online in state:', cosm_state_string[cdev.state]);
      // The fix (finding 1): nobody else holds newepd; as written it stays open for ever.
      if (!refusedOnlineLeaks) {
        scif_close(cdev.newepd);
        cdev.newepd = null;
      }
      rc = -EINVAL;
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
    yield 'cosm_set_online';
    yield* mutex_lock(cdev.cosm_mutex);
    if (cosm_set_online(cdev) === 0) {
      while (true) {
        pollepd.epd = cdev.epd;
        pollepd.events = POLLIN;

        /* Drop the mutex before blocking in scif_poll(..) */
        mutex_unlock(cdev.cosm_mutex);
        /* poll(..) with timeout on our endpoint */
        rc = yield* scif_poll([pollepd], 1, COSM_HEARTBEAT_TIMEOUT_MSEC);
        // Back from scif_poll, waiting for cosm_mutex: sysfs calls and the reset work can
        // take it first.
        yield 'process';
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

    while (!kthread_should_stop()) {
      rc = yield* scif_accept(listen_epd, port_id, newepd, SCIF_ACCEPT_SYNC);
      if (rc < 0) continue;

      // The kthread runs without any lock here: between scif_accept returning and storing
      // newepd, the card's work (and a whole card driver reload) can run.
      yield 'accepted';

      /*
       * Associate the incoming connection with a particular cosm_device, COSM device ID ==
       * SCIF node ID - 1
       */
      cdev = cosm_find_cdev_by_id(port_id.node - 1);
      if (!cdev) continue;
      cdev.newepd = newepd.epd;
      schedule_work(cdev.scif_work);
    }
    return 0;
  }

  const kthread_should_stop = () => false; // cosm_scif_exit is not exercised

  function cosm_scif_listen(): number {
    listen_epd = { port: SCIF_COSM_LISTEN_PORT, backlog: COSM_SCIF_BACKLOG };
    return 0;
  }

  function cosm_scif_init(): number {
    const rc = cosm_scif_listen();
    if (rc) return rc;
    // kthread_run(cosm_scif_server, NULL, "cosm_server"): it runs to scif_accept and sleeps.
    contexts.start('server', cosm_scif_server());
    return 0;
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
      /* Resets typically take 10s of seconds to complete (msleep(1000)) */
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

  function* cosm_stop(cdev: cosm_device, force: boolean): Preemptible {
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
      rc = scif_send(cdev.epd, msg, sizeof_cosm_msg, SCIF_SEND_BLOCK);
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

  // ===========================================================================================
  // Below: the environment the adapter drives (SCIF, the card, the hardware, time)

  /* ---------- SCIF, host side ---------- */

  /** scif_accept(SCIF_ACCEPT_SYNC): sleeps until a card's connect request is taken. */
  function* scif_accept(
    _epd: object | null,
    peer: scif_port_id,
    newepd: { epd: scif_epd_t | null },
    _flags: number,
  ): Preemptible<number> {
    yield 'scif_accept';
    // Which pending connect is accepted is the adapter's choice (`server.accept {card}`).
    while (accept_from === null) yield BLOCKED;
    const card = cards[accept_from];
    const ep = scif_connection(accept_from + 1);
    scif_endpoints.push(ep);
    // The card's scif_connect returns: cosm_client starts its thread on client_epd.
    card.client_epd = ep.peer;
    card.state = 'running';
    peer.node = ep.node;
    peer.port = SCIF_COSM_LISTEN_PORT;
    newepd.epd = ep;
    accept_from = null;
    return 0;
  }

  /** A new connection: the host's endpoint and the card's client_epd, each the other's peer. */
  function scif_connection(node: number): scif_endpt {
    const open = new Set(scif_endpoints.filter((e) => e.node === node).map((e) => e.ep));
    let number = 0;
    while (open.has(number)) number++;
    const ep = { state: 'CONNECTED', node, ep: number, recvq: [] } as Omit<scif_endpt, 'peer'>;
    const peer: client_endpt = { host: ep as scif_endpt, dead: false, recvq: [] };
    return Object.assign(ep, { peer });
  }

  function scif_poll_mask(epd: scif_epd_t | null): number {
    // An endpoint already closed polls as hung up (use after close: only reachable in
    // slow-workqueue's interleavings).
    if (!epd || epd.state === 'CLOSED') return POLLHUP;
    return (epd.recvq.length > 0 ? POLLIN : 0) | (epd.state === 'DISCONNECTED' ? POLLHUP : 0);
  }

  /** scif_poll: sleeps until an endpoint is ready or the timeout expires; the adapter's
   *  `work.poll` / `work.timeout` wake it. Returns how many endpoints are ready. */
  function* scif_poll(
    ufds: scif_pollepd[],
    nfds: number,
    timeout_msecs: number,
  ): Preemptible<number> {
    const waiter: poll_waiter = { ufds: ufds.slice(0, nfds), timeout_msecs, wake: null };
    poll_waiters.push(waiter);
    yield 'scif_poll';
    while (waiter.wake === null) yield BLOCKED;
    poll_waiters = poll_waiters.filter((w) => w !== waiter);
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

  /** Host scif_send: fails once the card's end is gone; a dead card's end swallows it. */
  function scif_send(epd: scif_epd_t | null, msg: cosm_msg, len: number, _flags: number): number {
    if (!epd || epd.state === 'CLOSED') return -ENOTCONN;
    if (epd.state !== 'CONNECTED') return -ECONNRESET;
    if (!epd.peer.dead) epd.peer.recvq.push({ ...msg });
    return len;
  }

  /** Host scif_close: the endpoint is freed; the card's end sees the host gone (SCIF_DISCNCT).
   *  Closing one already closed (use after close: only in slow-workqueue's interleavings)
   *  frees nothing, so nothing is seen. */
  function scif_close(epd: scif_epd_t | null): void {
    if (!epd || epd.state === 'CLOSED') return;
    outputs.push({ type: 'scif_close', card: epd.node - 1, ep: epd.ep });
    epd.state = 'CLOSED';
    scif_endpoints = scif_endpoints.filter((ep) => ep !== epd);
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

  /** cosm_scif_remove on the card closes client_epd: the host end gets POLLHUP. */
  function card_scif_close(card: mic_card): void {
    const end = card.client_epd;
    if (end && end.host.state === 'CONNECTED') end.host.state = 'DISCONNECTED';
    card.client_epd = null;
  }

  /** The card stops for good without closing anything: its end goes quiet. */
  function card_dies(card: mic_card, state: card_state): void {
    if (card.client_epd) card.client_epd.dead = true;
    card.client_epd = null;
    card.state = state;
  }

  /* ---------- the hardware (hw_ops of the MIC PCIe driver) ---------- */

  const hw_ops: cosm_hw_ops = {
    start(cdev) {
      outputs.push({ type: 'hw_start', card: cdev.index });
      // The card boots Linux, loads cosm_client, and cosm_scif_probe connects to the host.
      cards[cdev.index].state = 'booting';
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

  /** A sysfs write runs to its end within one event; a failing call is not the model's step. */
  function sysfs_call(what: string, code: Preemptible<number>): void {
    const result = contexts.start('sysfs', code);
    if (!result.done) throw new NotEnabledError(`${what} did not return`);
    if (result.value !== 0) throw new NotEnabledError(`${what} returned ${result.value}`);
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

  return {
    reset(next) {
      bounds = next;
      outputs = [];
      contexts.clear();
      scif_endpoints = [];
      accept_from = null;
      poll_waiters = [];
      cards = Array.from({ length: bounds.cards }, () => ({
        state: 'off' as card_state,
        client_epd: null,
        firmware_ready: true,
      }));
      // cosm_add_device / cosm_driver_probe: each card READY, bootmode "linux".
      cdevs = Array.from({ length: bounds.cards }, (_, index) => ({
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
      }));
      cosm_scif_init();
      return [];
    },

    apply(event) {
      outputs = [];
      const c = typeof event.card === 'number' ? event.card : -1;
      const cdev = cdevs[c];
      switch (event.type) {
        /* ---- user space: writes to sysfs `state` ---- */
        case 'start':
          sysfs_call('cosm_start', cosm_start(cdev));
          break;
        case 'shutdown':
          sysfs_call('cosm_shutdown', cosm_shutdown(cdev));
          break;
        case 'reset':
          sysfs_call('cosm_reset', cosm_reset(cdev));
          break;

        /* ---- the system workqueue ---- */
        case 'stop.run': {
          // A worker runs reset_trigger_work: cosm_stop up to flush_work. `ok`: the card's
          // firmware answers hw_ops->ready after the reset.
          if (!cdev.reset_trigger_work.pending) throw new NotEnabledError('no reset queued');
          cards[c].firmware_ready = event.ok === true;
          contexts.start(`reset_work${c}`, process_one_work(cdev.reset_trigger_work));
          if (contexts.at(`reset_work${c}`) !== 'flush_work')
            throw new NotEnabledError('cosm_stop did not reach flush_work');
          break;
        }
        case 'stop.flushed':
          contexts.advanceFrom(`reset_work${c}`, 'flush_work');
          break;
        case 'work.dequeue':
          if (!cdev.scif_work.pending) throw new NotEnabledError('scif_work is not queued');
          contexts.start(`scif_work${c}`, process_one_work(cdev.scif_work));
          break;
        case 'work.online':
          contexts.advanceFrom(`scif_work${c}`, 'cosm_set_online');
          break;
        case 'work.process':
          contexts.advanceFrom(`scif_work${c}`, 'process');
          break;

        /* ---- scif_poll wakes up: something to read or a hang-up, or its timeout ---- */
        case 'work.poll': {
          const waiter = pollWaiter(c);
          if (!waiter.ufds.some((fd) => scif_poll_mask(fd.epd) & (fd.events | POLLHUP)))
            throw new NotEnabledError('nothing wakes scif_poll');
          waiter.wake = 'event';
          contexts.advanceFrom(`scif_work${c}`, 'scif_poll');
          break;
        }
        case 'work.timeout': {
          // A live card heartbeats every COSM_HEARTBEAT_SEND_SEC: a poll timeout longer than
          // that only expires when the card behind the endpoint is dead.
          const waiter = pollWaiter(c);
          for (const fd of waiter.ufds) {
            if (scif_poll_mask(fd.epd)) throw new NotEnabledError('scif_poll has an event');
            if (!fd.epd!.peer.dead && waiter.timeout_msecs > COSM_HEARTBEAT_SEND_MSEC)
              throw new NotEnabledError('the card heartbeats before the timeout');
          }
          waiter.wake = 'timeout';
          contexts.advanceFrom(`scif_work${c}`, 'scif_poll');
          break;
        }

        /* ---- the server thread ---- */
        case 'server.accept':
          if (contexts.at('server') !== 'scif_accept')
            throw new NotEnabledError('the server is not in scif_accept');
          card(c, 'booting');
          accept_from = c;
          contexts.advanceFrom('server', 'scif_accept');
          break;
        case 'server.schedule':
          contexts.advanceFrom('server', 'accepted');
          break;

        /* ---- the card ---- */
        case 'card.heartbeat':
          // The client thread's scif_poll timed out (COSM_HEARTBEAT_SEND_MSEC).
          if (card_scif_send(card(c, 'running'), cosm_msg_init(COSM_MSG_HEARTBEAT)) === 'full')
            throw new NotEnabledError("the card's scif_send blocks");
          break;
        case 'card.recv': {
          // cosm_client_recv: SYNC_TIME sets the clock, SHUTDOWN calls orderly_poweroff; the
          // client thread then heartbeats (when that would block, the queued message already
          // wakes the host).
          const it = card(c, 'running', 'powering_off', 'notified');
          const end = it.client_epd;
          if (!end || end.recvq.length === 0) throw new NotEnabledError('nothing for the card');
          const shutdown = end.recvq.some((m) => m.id === COSM_MSG_SHUTDOWN);
          end.recvq = [];
          if (shutdown && it.state === 'running') it.state = 'powering_off';
          card_scif_send(it, cosm_msg_init(COSM_MSG_HEARTBEAT));
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
