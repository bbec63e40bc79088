/* SPDX-License-Identifier: MIT */
/*
 * A small Linux kernel in userspace, for running a driver's own C under a deterministic
 * scheduler (sched.h) against a simulated device that test vectors drive.
 *
 * Semantics kept from the kernel, because findings depend on them:
 *   - jiffies start at INITIAL_JIFFIES and move only when the harness advances the clock;
 *     time_after() is strict; a timer (and so a delayed work) with expiry E fires when
 *     jiffies reaches E + 1 at the earliest (the timer wheel rounds up so that no timer
 *     fires early: calc_index() in kernel/time/timer.c). kshim_timer_slack holds that 1.
 *   - schedule_delayed_work() does nothing when the work is pending; delay 0 queues at
 *     once; mod_delayed_work() re-arms a pending work; the workqueue clears PENDING before
 *     it calls the function and never runs one work twice at once; cancel_*_sync() waits
 *     for a running instance.
 *   - a mutex holder may sleep; sleeping with a spinlock held or in a hard IRQ handler is
 *     reported as the kernel's "BUG: sleeping function called from invalid context".
 *   - wait_event*() re-tests its condition after every wake-up; wake_up*() wakes every
 *     sleeper on the queue (autoremove); complete() wakes one waiter (done++).
 *   - free_irq() waits for a running handler (synchronize_irq).
 *   - kfree() is free(): under AddressSanitizer a use after kfree() is reported by ASan.
 *
 * Every operation that another context could observe is a yield point (sched.h): a step
 * of a vector may stop a context just before it, or just after a lock release.
 */
#ifndef HARNESS_KSHIM_H
#define HARNESS_KSHIM_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "list.h"
#include "sched.h"

/* ---------- types, compiler, bits ---------- */

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef unsigned long long u64; /* as the kernel (int-ll64.h), so that %llx fits */
typedef int32_t s32;
typedef long long s64;
typedef unsigned int gfp_t;
typedef long long loff_t_unused;

#define GFP_KERNEL 0u
#define GFP_ATOMIC 1u
#define __init
#define __exit
#define __user
#define __iomem
#define __must_check
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define READ_ONCE(x) (*(volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(n) (1UL << (n))
#define GENMASK(h, l) (((~0UL) << (l)) & (~0UL >> (sizeof(long) * 8 - 1 - (h))))
#define FIELD_GET(mask, reg) (((reg) & (mask)) >> __builtin_ctzl(mask))
#define FIELD_PREP(mask, val) (((unsigned long)(val) << __builtin_ctzl(mask)) & (mask))
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define min_t(t, a, b) min((t)(a), (t)(b))
#define SZ_1M 0x00100000
#define IS_ERR_VALUE(x) ((unsigned long)(void *)(x) >= (unsigned long)-4095)
#define ERESTARTSYS 512

static inline void *ERR_PTR(long error) { return (void *)error; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool IS_ERR(const void *ptr) { return IS_ERR_VALUE((unsigned long)ptr); }
static inline bool IS_ERR_OR_NULL(const void *ptr) { return !ptr || IS_ERR(ptr); }

/* Modules: nothing to do in userspace. */
#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym)
#define MODULE_LICENSE(x)
#define MODULE_DEVICE_TABLE(type, name)
#define module_init(fn) static __attribute__((unused)) int (*const __module_init)(void) = fn;
#define module_exit(fn) static __attribute__((unused)) void (*const __module_exit)(void) = fn;

/* ---------- the log: what the adapter may observe ---------- */

enum klog_level { KLOG_ERR, KLOG_WARN, KLOG_INFO, KLOG_DEBUG };
void klog(enum klog_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* WARN: the kernel prints a backtrace and goes on; the log records it. */
bool kwarn(bool cond, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define pr_err(...) klog(KLOG_ERR, __VA_ARGS__)
#define pr_warn(...) klog(KLOG_WARN, __VA_ARGS__)
#define pr_info(...) klog(KLOG_INFO, __VA_ARGS__)
#define pr_debug(...) klog(KLOG_DEBUG, __VA_ARGS__)
#define dev_err(dev, ...) klog(KLOG_ERR, __VA_ARGS__)
#define dev_warn(dev, ...) klog(KLOG_WARN, __VA_ARGS__)
#define dev_info(dev, ...) klog(KLOG_INFO, __VA_ARGS__)
#define dev_dbg(dev, ...) klog(KLOG_DEBUG, __VA_ARGS__)
#define WARN_ON(cond) kwarn(!!(cond), __func__, "WARN_ON(%s)", #cond)
#define WARN(cond, ...) kwarn(!!(cond), __func__, __VA_ARGS__)

/* ---------- memory ---------- */

void *kmalloc(size_t size, gfp_t flags);
void *kzalloc(size_t size, gfp_t flags);
void *kcalloc(size_t n, size_t size, gfp_t flags);
char *kasprintf(gfp_t flags, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define kfree(p) kshim_kfree((void *)(p), "kfree(" #p ")")
void kshim_kfree(void *p, const char *label);

/* ---------- bitmaps ---------- */

#define BITS_PER_LONG (sizeof(long) * 8)
#define BITS_TO_LONGS(n) (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define DECLARE_BITMAP(name, bits) unsigned long name[BITS_TO_LONGS(bits)]
static inline void set_bit(long nr, volatile unsigned long *addr)
{
	addr[nr / BITS_PER_LONG] |= 1UL << (nr % BITS_PER_LONG);
}
static inline void clear_bit(long nr, volatile unsigned long *addr)
{
	addr[nr / BITS_PER_LONG] &= ~(1UL << (nr % BITS_PER_LONG));
}
static inline bool test_bit(long nr, const volatile unsigned long *addr)
{
	return (addr[nr / BITS_PER_LONG] >> (nr % BITS_PER_LONG)) & 1;
}
static inline bool test_and_set_bit(long nr, volatile unsigned long *addr)
{
	bool old = test_bit(nr, addr);

	set_bit(nr, addr);
	return old;
}
static inline bool test_and_clear_bit(long nr, volatile unsigned long *addr)
{
	bool old = test_bit(nr, addr);

	clear_bit(nr, addr);
	return old;
}
static inline unsigned long find_first_zero_bit(const unsigned long *addr, unsigned long size)
{
	for (unsigned long i = 0; i < size; i++)
		if (!test_bit((long)i, addr))
			return i;
	return size;
}
static inline void bitmap_zero(unsigned long *dst, unsigned int nbits)
{
	memset(dst, 0, BITS_TO_LONGS(nbits) * sizeof(long));
}

/* ---------- time ---------- */

#ifndef HZ
#define HZ 250
#endif
#define MSEC_PER_SEC 1000L
#define INITIAL_JIFFIES ((unsigned long)(unsigned int)(-300 * HZ))
extern unsigned long jiffies;
/* A timer fires when jiffies - expires >= kshim_timer_slack (1: the kernel since 4.8). */
extern unsigned long kshim_timer_slack;
#define time_after(a, b) ((long)((b) - (a)) < 0)
#define time_before(a, b) time_after(b, a)
#define time_after_eq(a, b) ((long)((a) - (b)) >= 0)
#define time_before_eq(a, b) time_after_eq(b, a)
static inline unsigned long msecs_to_jiffies(unsigned int m)
{
	return (m + (MSEC_PER_SEC / HZ) - 1) / (MSEC_PER_SEC / HZ);
}

struct timer_list {
	struct list_head entry; /* on the timer wheel while pending */
	unsigned long expires;
	void (*function)(struct timer_list *);
	bool pending;
	unsigned long armed_at; /* harness: jiffies when it was armed (for reports) */
};

#define from_timer(var, timer, field) container_of(timer, __typeof__(*var), field)
void timer_setup(struct timer_list *t, void (*fn)(struct timer_list *), unsigned int flags);
void add_timer(struct timer_list *t);
int mod_timer(struct timer_list *t, unsigned long expires);
int del_timer(struct timer_list *t);
int del_timer_sync(struct timer_list *t);
static inline bool timer_pending(const struct timer_list *t) { return t->pending; }

/* The clock, for the adapter: advance jiffies by n, firing due timers at each tick. */
void kshim_clock_advance(unsigned long n);
/* Fires `t` now, whatever its expiry (a model that abstracts the wait: see adapter). */
void kshim_timer_fire(struct timer_list *t);
/* The earliest pending timer, or NULL (walks the wheel, as the timer interrupt does). */
struct timer_list *kshim_next_timer(void);
static inline bool kshim_timer_due(const struct timer_list *t)
{
	return (long)(jiffies - t->expires) >= (long)kshim_timer_slack;
}

/* ---------- locks ---------- */

struct mutex {
	struct kctx *owner;
};
#define DEFINE_MUTEX(name) struct mutex name = { NULL }
#define mutex_init(m) ((m)->owner = NULL)
#define mutex_lock(m) kshim_mutex_lock(m, "mutex_lock(" #m ")")
#define mutex_unlock(m) kshim_mutex_unlock(m, "mutex_unlock(" #m ")")
#define mutex_is_locked(m) ((m)->owner != NULL)
void kshim_mutex_lock(struct mutex *m, const char *label);
void kshim_mutex_unlock(struct mutex *m, const char *label);

typedef struct {
	struct kctx *owner;
	bool locked;
} spinlock_t;
#define DEFINE_SPINLOCK(name) spinlock_t name = { NULL, false }
#define spin_lock_init(l) ((l)->owner = NULL, (l)->locked = false)
#define spin_lock(l) kshim_spin_lock(l, "spin_lock(" #l ")")
#define spin_unlock(l) kshim_spin_unlock(l, "spin_unlock(" #l ")")
#define spin_lock_irqsave(l, flags) ((flags) = 0, kshim_spin_lock(l, "spin_lock_irqsave(" #l ")"))
#define spin_unlock_irqrestore(l, flags) \
	((void)(flags), kshim_spin_unlock(l, "spin_unlock_irqrestore(" #l ")"))
#define spin_lock_irq(l) kshim_spin_lock(l, "spin_lock_irq(" #l ")")
#define spin_unlock_irq(l) kshim_spin_unlock(l, "spin_unlock_irq(" #l ")")
void kshim_spin_lock(spinlock_t *l, const char *label);
void kshim_spin_unlock(spinlock_t *l, const char *label);

/* ---------- wait queues and completions ---------- */

struct wait_queue_entry {
	struct list_head entry;
	struct kctx *task;
	bool woken;
};
typedef struct {
	struct list_head head;
} wait_queue_head_t;
#define init_waitqueue_head(wq) INIT_LIST_HEAD(&(wq)->head)
#define wake_up(wq) kshim_wake_up(wq, "wake_up(" #wq ")")
#define wake_up_interruptible(wq) kshim_wake_up(wq, "wake_up_interruptible(" #wq ")")
#define wake_up_all(wq) kshim_wake_up(wq, "wake_up_all(" #wq ")")
void kshim_wake_up(wait_queue_head_t *wq, const char *label);
void kshim_prepare_to_wait(wait_queue_head_t *wq, struct wait_queue_entry *e);
void kshim_finish_wait(wait_queue_head_t *wq, struct wait_queue_entry *e);
void kshim_sleep_on(struct wait_queue_entry *e, const char *label);

/* wait_event(): the kernel's loop; signals never arrive, so the interruptible one is 0. */
#define wait_event(wq, cond) kshim_wait_event(wq, cond, "wait_event(" #wq ", " #cond ")")
#define wait_event_interruptible(wq, cond) \
	({ kshim_wait_event(wq, cond, "wait_event_interruptible(" #wq ", " #cond ")"); 0; })
#define kshim_wait_event(wq, cond, label)                         \
	do {                                                      \
		struct wait_queue_entry __we = { .task = NULL };  \
		kyield(Y_WAIT_EVENT, label);                      \
		for (;;) {                                        \
			kshim_prepare_to_wait(&(wq), &__we);      \
			if (cond)                                 \
				break;                            \
			kshim_sleep_on(&__we, label);             \
		}                                                 \
		kshim_finish_wait(&(wq), &__we);                  \
	} while (0)

struct completion {
	unsigned int done;
};
#define DECLARE_COMPLETION_ONSTACK(c) struct completion c = { 0 }
#define init_completion(c) ((c)->done = 0)
#define reinit_completion(c) ((c)->done = 0)
#define complete(c) kshim_complete(c, "complete(" #c ")")
#define wait_for_completion(c) kshim_wait_for_completion(c, "wait_for_completion(" #c ")")
void kshim_complete(struct completion *c, const char *label);
void kshim_wait_for_completion(struct completion *c, const char *label);

/* ---------- workqueues ---------- */

struct work_struct;
typedef void (*work_func_t)(struct work_struct *);
struct workqueue_struct {
	const char *name;
};
struct work_struct {
	struct list_head entry; /* on the worklist while queued */
	work_func_t func;
	bool pending;           /* WORK_STRUCT_PENDING */
	bool queued;            /* on the worklist (PENDING and not waiting for its timer) */
};
struct delayed_work {
	struct work_struct work;
	struct timer_list timer;
	struct workqueue_struct *wq;
};
extern struct workqueue_struct *system_wq;

#define INIT_WORK(w, fn) kshim_init_work(w, fn)
#define INIT_DELAYED_WORK(dw, fn) kshim_init_delayed_work(dw, fn)
#define to_delayed_work(w) container_of(w, struct delayed_work, work)
#define work_pending(w) ((w)->pending)
#define delayed_work_pending(dw) work_pending(&(dw)->work)
void kshim_init_work(struct work_struct *w, work_func_t fn);
void kshim_init_delayed_work(struct delayed_work *dw, work_func_t fn);

#define schedule_work(w) kshim_queue_work(system_wq, w, "schedule_work(" #w ")")
#define queue_work(wq, w) kshim_queue_work(wq, w, "queue_work(" #w ")")
#define schedule_delayed_work(dw, d) \
	kshim_queue_delayed_work(system_wq, dw, d, "schedule_delayed_work(" #dw ", " #d ")")
#define queue_delayed_work(wq, dw, d) \
	kshim_queue_delayed_work(wq, dw, d, "queue_delayed_work(" #dw ", " #d ")")
#define mod_delayed_work(wq, dw, d) \
	kshim_mod_delayed_work(wq, dw, d, "mod_delayed_work(" #dw ", " #d ")")
#define cancel_delayed_work(dw) kshim_cancel_delayed_work(dw, false, "cancel_delayed_work(" #dw ")")
#define cancel_delayed_work_sync(dw) \
	kshim_cancel_delayed_work(dw, true, "cancel_delayed_work_sync(" #dw ")")
#define cancel_work_sync(w) kshim_cancel_work_sync(w, "cancel_work_sync(" #w ")")
#define flush_work(w) kshim_flush_work(w, "flush_work(" #w ")")
bool kshim_queue_work(struct workqueue_struct *wq, struct work_struct *w, const char *label);
bool kshim_queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dw,
			      unsigned long delay, const char *label);
bool kshim_mod_delayed_work(struct workqueue_struct *wq, struct delayed_work *dw,
			    unsigned long delay, const char *label);
bool kshim_cancel_delayed_work(struct delayed_work *dw, bool sync, const char *label);
bool kshim_cancel_work_sync(struct work_struct *w, const char *label);
bool kshim_flush_work(struct work_struct *w, const char *label);

/* For the adapter: the worklist (walks it) and running one queued work in a context. */
bool kshim_work_queued(const struct work_struct *w);
void kshim_run_work(struct kctx *worker, const char *name, struct work_struct *w, unsigned stop);
bool kshim_work_running(const struct work_struct *w);

/* ---------- devices and interrupts ---------- */

struct device {
	void *driver_data;
	int refcount; /* get_device/put_device */
	int kobj;     /* stands for the kobject sysfs_notify() names */
	/* Called when put_device() drops the last reference (the driver core's release); the
	 * device may be freed then. NULL: nothing happens. */
	void (*release)(struct device *dev);
};
static inline void *dev_get_drvdata(const struct device *dev) { return dev->driver_data; }
static inline void dev_set_drvdata(struct device *dev, void *data) { dev->driver_data = data; }
/* A reference count another context can observe (a put may free the device): each is a
 * yield point just after the change, like a lock release. */
static inline struct device *get_device(struct device *dev)
{
	if (dev) {
		dev->refcount++;
		kyield(Y_REF, "get_device");
	}
	return dev;
}
static inline void put_device(struct device *dev)
{
	if (!dev)
		return;
	if (--dev->refcount == 0 && dev->release)
		dev->release(dev);
	kyield(Y_REF, "put_device");
}

typedef enum irqreturn { IRQ_NONE = 0, IRQ_HANDLED = 1, IRQ_WAKE_THREAD = 2 } irqreturn_t;
typedef irqreturn_t (*irq_handler_t)(int, void *);
#define request_irq(irq, fn, flags, name, dev) kshim_request_irq(irq, fn, name, dev)
#define free_irq(irq, dev) kshim_free_irq(irq, dev, "free_irq(" #irq ", " #dev ")")
int kshim_request_irq(unsigned int irq, irq_handler_t fn, const char *name, void *dev_id);
void kshim_free_irq(unsigned int irq, void *dev_id, const char *label);
/* For the adapter: is a handler registered; start it in `c` (hard IRQ context). */
bool kshim_irq_requested(unsigned int irq);
void kshim_irq_start(struct kctx *c, unsigned int irq, unsigned stop);
bool kshim_irq_running(unsigned int irq);

/* ---------- kthreads, signals, wall time ---------- */

#ifndef SIGKILL
#define SIGKILL 9
#endif
struct task_struct {
	char comm[32];
	struct kctx *ctx;
	int (*fn)(void *data);
	void *data;
	bool should_stop, sigkill, exited;
	int result;
};
/* Starts `fn` in the context the runner names `name` and runs it to its first stop. */
#define kthread_run(fn, data, name) kshim_kthread_run(fn, data, name)
struct task_struct *kshim_kthread_run(int (*fn)(void *), void *data, const char *name);
bool kthread_should_stop(void);
int kthread_stop(struct task_struct *t);
static inline void allow_signal(int sig) { (void)sig; }
int send_sig(int sig, struct task_struct *t, int priv);
bool kshim_signal_pending(void);
#define msleep(ms) kyield(Y_WAIT_DEVICE, "msleep(" #ms ")") /* the model passes no time there */

struct timespec64 {
	s64 tv_sec;
	long tv_nsec;
};
static inline void getnstimeofday64(struct timespec64 *ts)
{
	ts->tv_sec = (s64)(jiffies / HZ);
	ts->tv_nsec = 0;
}

/* sysfs_notify(): user space polling the attribute wakes up and reads it. */
#define sysfs_notify(kobj, dir, attr) kshim_sysfs_notify(kobj, attr)
void kshim_sysfs_notify(const void *kobj, const char *attr);

/* ---------- the shim's hooks into the protocol adapter (runner/adapter.h) ---------- */

struct kshim_hooks {
	void (*log)(enum klog_level level, const char *text);
	void (*queued_work)(struct work_struct *w);
	void (*completed)(struct completion *c);
	void (*freed)(void *p);
	void (*sysfs_notified)(const void *kobj, const char *attr);
	/* The context a kthread runs in (the runner names it after the thread). */
	struct kctx *(*kthread_context)(const char *name);
};
extern struct kshim_hooks kshim_hooks;

/* A bound of the run (the model's bounds, from the vector file), or `fallback`. Drivers under
 * test read it only where a HARNESS CHANGE replaces a constant with a model bound. */
long harness_bound(const char *name, long fallback);

/* What the timer interrupt and the workers do between any two steps: look at every pending
 * timer and every queued work. A timer or work in freed memory is reported here by ASan. */
void kshim_scan(void);

/* Back to power-on: clock, wheel, worklist, IRQ table. The adapter frees its own objects. */
void kshim_reset(void);

#endif
