/* SPDX-License-Identifier: MIT */
/*
 * A deterministic scheduler of execution contexts for kernel code run in userspace.
 *
 * Each execution context of a model (a caller, the workqueue's worker, the IRQ handler,
 * probe, another CPU) is a coroutine (ucontext) with its own stack. Nothing runs unless the
 * harness says so: a context runs from where it stands to its next *stop*, then control
 * comes back to the harness. The kernel shim's operations are the yield points:
 *
 *   - every shim operation (lock, register access, queueing work, waking, completing)
 *     calls kyield(kind, label) just before its effect, and a lock release just after it;
 *     the context stops there when `kind` is in the stop set of the step that runs it;
 *   - a sleep (a contended lock, wait_event, wait_for_completion, free_irq waiting for a
 *     handler, cancel_work_sync waiting for the work) calls kblock(); when the condition
 *     is false the context stops, BLOCKED, whatever the stop set. It may run again only
 *     once the condition holds (kctx_can_run()).
 *
 * The stop set is chosen per step by the protocol's adapter table (runner/adapter.h), which
 * is how the harness's grain is made to match the model's. Every yield point a step passes
 * without stopping is recorded (kctx_crossed()), so a report can show where the C has an
 * interleaving point that the model's step merges.
 */
#ifndef HARNESS_SCHED_H
#define HARNESS_SCHED_H

#include <stdbool.h>
#include <stddef.h>

/* What kind of operation a context is about to perform (one bit each, for stop sets). */
enum yield_kind {
	Y_START = 0,      /* not started yet */
	Y_LOCK,           /* mutex_lock, spin_lock: before taking it */
	Y_UNLOCK,         /* mutex_unlock, spin_unlock: after dropping it */
	Y_REG_READ,       /* a device register (config space) read */
	Y_REG_WRITE,      /* a device register write */
	Y_DEVICE,         /* another device call (SCIF, virtqueue) */
	Y_QUEUE_WORK,     /* schedule_work, (mod|schedule)_delayed_work, queue_work */
	Y_CANCEL_WORK,    /* cancel_(delayed_)work(_sync) */
	Y_WAKE,           /* wake_up*, complete* */
	Y_WAIT_EVENT,     /* wait_event*: sleeping on a wait queue */
	Y_WAIT_COMPLETION,/* wait_for_completion* */
	Y_WAIT_IRQ,       /* free_irq / synchronize_irq waiting for a running handler */
	Y_WAIT_WORK,      /* cancel_*_sync / flush waiting for a running work */
	Y_WAIT_LOCK,      /* a contended lock */
	Y_WAIT_DEVICE,    /* asleep in a device call (scif_accept, scif_poll) */
	Y_FREE,           /* kfree */
	Y_REF,            /* get_device, put_device: after the reference count changed */
	Y_CALL,           /* a call between two parts of a driver (an ops table, a core entry) */
	Y_CHECK,          /* a lock-free look at shared state: try_wait_for_completion */
	Y_ACCESS,         /* a lock-free store or load another context races with: smp_store_mb */
	Y_KIND_COUNT
};

#define YBIT(kind) (1u << (kind))

enum kctx_status {
	KCTX_IDLE,    /* nothing runs here (never started, or its function returned) */
	KCTX_STOPPED, /* stopped at a yield point of the stop set; it can go on */
	KCTX_BLOCKED, /* asleep; it can go on once kctx_can_run() */
};

struct kctx;
typedef long (*kctx_fn)(void *arg);
typedef bool (*kctx_pred)(void *arg);

/* A yield point as a stop rule sees it. */
struct kpoint {
	enum yield_kind kind;
	const char *label; /* the shim operation ("spin_lock(&vioch->lock)") */
	const char *func;  /* the C function that performs it */
	int depth;         /* spinlocks the context holds there (before a lock, after an unlock) */
};

/*
 * A finer stop rule than a set of kinds: whether a run that resumed at `from` stops at `here`.
 * A protocol whose model splits a context's code at points that the kind alone does not tell
 * apart (the same lock taken twice in one function, one of them a step of its own) names
 * them by function, label, depth and where the run started.
 */
typedef bool (*kstop_fn)(const struct kctx *c, const struct kpoint *from,
			 const struct kpoint *here);

struct kctx {
	char name[48];
	enum kctx_status status;
	enum yield_kind at;  /* where it stopped or sleeps */
	const char *label;   /* the shim operation it stopped at ("mutex_lock(&doe->state_lock)") */
	struct kpoint from;  /* the point it stopped or sleeps at, as stop rules see it */
	kstop_fn stop_fn;    /* when set, decides the stops of the next run instead of `stop` */
	int spinlocks;       /* spinlocks it holds */
	const char *op_func; /* the function performing the current shim operation */
	long result;         /* what the function returned, once IDLE after a run */
	/* A signal is pending for the task running here (signal_pending(current)): its
	 * interruptible sleeps end, and their waits return -ERESTARTSYS or -EINTR. Cleared when
	 * the context starts (a new call; the kernel delivers it on the way back to user space). */
	bool sigpending;
	bool finished;       /* the last run returned from the function */
	/* private */
	void *uc;            /* ucontext_t */
	void *stack;
	size_t stack_size;
	kctx_fn fn;
	void *arg;
	unsigned stop;
	kctx_pred wait_pred;
	void *wait_arg;
	int atomic;          /* > 0: spinlock held or hard IRQ context: sleeping is a bug */
	bool in_irq;
	void *fake_stack;    /* AddressSanitizer's bookkeeping for this stack */
};

/* The context running now, or NULL when the harness itself (a device action) runs. */
extern struct kctx *kcurrent;

/* Starts `fn(arg)` in `c` (which must be IDLE) and runs it to its first stop. */
void kctx_start(struct kctx *c, const char *name, kctx_fn fn, void *arg, unsigned stop);
/* Runs a STOPPED context, or a BLOCKED one whose condition holds, to its next stop. */
void kctx_resume(struct kctx *c, unsigned stop);
/* True when a BLOCKED context's condition holds (or the context is STOPPED). */
bool kctx_can_run(const struct kctx *c);
/* Throws a context away without running it further (a reset); frees its stack. */
void kctx_discard(struct kctx *c);

/* The function performing the next shim operation: the shim's macros set it (__func__). */
extern const char *kshim_func;

/* Called by the shim: a yield point of kind `kind` just before (or after) an operation. */
void kyield(enum yield_kind kind, const char *label);
/* A yield point just before an operation that sleeps unless pred(arg): a context stopped
 * there can run on (kctx_can_run) only when it would not sleep at once. */
void kyield_wait(enum yield_kind kind, const char *label, kctx_pred pred, void *arg);
/* Called by the shim: sleep until pred(arg); returns at once when it already holds. */
void kblock(enum yield_kind kind, const char *label, kctx_pred pred, void *arg);

/* The yield points the last run passed without stopping ("kind label" strings). */
size_t kctx_crossed(const char *const **labels);
/* Whether the current run has passed a point of this kind (and function, and label part). */
bool kctx_run_crossed(enum yield_kind kind, const char *func, const char *label);

const char *yield_kind_name(enum yield_kind kind);

/* A harness error (not a finding): print it and exit with status 3. */
void harness_fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
