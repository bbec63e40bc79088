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
 *     for a running instance, holding PENDING meanwhile, so that nothing (the running work
 *     itself, an interrupt's mod_delayed_work()) can queue it again (__cancel_work_timer()).
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

/* A shim operation called from `__func__`: stop rules may name the function (sched.h). */
#define KSHIM_AT(call) (kshim_func = __func__, (call))

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
#define WARN_ON_ONCE(cond) WARN_ON(cond)

/* smp_store_mb(): a store another context reads without a lock (Y_ACCESS, then the store). */
#define smp_store_mb(var, value)                                                        \
	do {                                                                             \
		KSHIM_AT(kyield(Y_ACCESS, "smp_store_mb(" #var ", " #value ")"));        \
		(var) = (value);                                                         \
	} while (0)
#define smp_mb() __sync_synchronize()
#define cpu_relax() ((void)0)
/* spin_until_cond(): the loop the kernel spins in; its condition's shim operations are the
 * yield points (another CPU acts between two looks). */
#define spin_until_cond(cond)          \
	do {                           \
		while (!(cond))        \
			cpu_relax();   \
	} while (0)

/* A tracepoint: the kernel's observation points, which the adapter may listen to. */
#define KSHIM_TRACE(event, obj, a, b) \
	(kshim_hooks.trace ? kshim_hooks.trace(event, obj, (long)(a), (long)(b)) : (void)0)

/* ---------- memory ---------- */

/* AddressSanitizer's manual poisoning: memory the driver must not touch now (a buffer the
 * device owns). Without ASan these do nothing. */
void kshim_poison(const void *p, size_t n);
void kshim_unpoison(const void *p, size_t n);

void *kmalloc(size_t size, gfp_t flags);
void *kzalloc(size_t size, gfp_t flags);
void *kcalloc(size_t n, size_t size, gfp_t flags);
void *krealloc(void *p, size_t size, gfp_t flags);
char *kasprintf(gfp_t flags, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define kfree(p) KSHIM_AT(kshim_kfree((void *)(p), "kfree(" #p ")"))
void kshim_kfree(void *p, const char *label);
/* Device-managed memory: freed when the device goes (the adapter's reset). */
struct device;
#define devm_kzalloc(dev, size, flags) kshim_devm_kzalloc(dev, size, flags)
#define devm_kcalloc(dev, n, size, flags) kshim_devm_kzalloc(dev, (n) * (size), flags)
void *kshim_devm_kzalloc(struct device *dev, size_t size, gfp_t flags);
/* Frees every device-managed allocation (ASan's poison on it lifted first). */
void kshim_devres_release_all(void);

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
static inline unsigned long find_next_zero_bit(const unsigned long *addr, unsigned long size,
						unsigned long offset)
{
	for (unsigned long i = offset; i < size; i++)
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
/* Milliseconds per jiffy: MSEC_PER_SEC / HZ, unless a protocol's model ticks at another scale
 * (its adapter sets it at reset, so that the code's own timeouts become the model's ticks). */
extern unsigned long kshim_msecs_per_jiffy;
static inline unsigned long msecs_to_jiffies(unsigned int m)
{
	return (m + kshim_msecs_per_jiffy - 1) / kshim_msecs_per_jiffy;
}

/* ktime: the same clock as jiffies, in nanoseconds (a tick is the only way time passes). */
typedef s64 ktime_t;
#define NSEC_PER_MSEC 1000000LL
/* Reading the clock is a lock-free look (Y_CHECK): a model may begin a step there. */
#define ktime_get() KSHIM_AT(kshim_ktime_get("ktime_get()"))
static inline ktime_t kshim_ktime_get(const char *label)
{
	kyield(Y_CHECK, label);
	return (ktime_t)(jiffies - INITIAL_JIFFIES) * (ktime_t)kshim_msecs_per_jiffy * NSEC_PER_MSEC;
}
static inline ktime_t ktime_add_ms(ktime_t kt, u64 ms) { return kt + (ktime_t)ms * NSEC_PER_MSEC; }
static inline bool ktime_after(ktime_t a, ktime_t b) { return a > b; }
static inline bool ktime_before(ktime_t a, ktime_t b) { return a < b; }

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
#define mutex_lock(m) KSHIM_AT(kshim_mutex_lock(m, "mutex_lock(" #m ")"))
#define mutex_unlock(m) KSHIM_AT(kshim_mutex_unlock(m, "mutex_unlock(" #m ")"))
#define mutex_is_locked(m) ((m)->owner != NULL)
void kshim_mutex_lock(struct mutex *m, const char *label);
/* 0 with the mutex held, or -EINTR when a signal is pending while it would sleep (a free mutex
 * is taken even then: __mutex_lock_common() tries the lock before it looks at signals). */
#define mutex_lock_interruptible(m) \
	KSHIM_AT(kshim_mutex_lock_interruptible(m, "mutex_lock_interruptible(" #m ")"))
int kshim_mutex_lock_interruptible(struct mutex *m, const char *label);
void kshim_mutex_unlock(struct mutex *m, const char *label);

typedef struct {
	struct kctx *owner;
	bool locked;
} spinlock_t;
#define DEFINE_SPINLOCK(name) spinlock_t name = { NULL, false }
#define spin_lock_init(l) ((l)->owner = NULL, (l)->locked = false)
#define spin_lock(l) KSHIM_AT(kshim_spin_lock(l, "spin_lock(" #l ")"))
#define spin_unlock(l) KSHIM_AT(kshim_spin_unlock(l, "spin_unlock(" #l ")"))
#define spin_lock_irqsave(l, flags) \
	((flags) = 0, KSHIM_AT(kshim_spin_lock(l, "spin_lock_irqsave(" #l ", " #flags ")")))
#define spin_unlock_irqrestore(l, flags) \
	((void)(flags), KSHIM_AT(kshim_spin_unlock(l, "spin_unlock_irqrestore(" #l ", " #flags ")")))
#define spin_lock_irq(l) KSHIM_AT(kshim_spin_lock(l, "spin_lock_irq(" #l ")"))
#define spin_unlock_irq(l) KSHIM_AT(kshim_spin_unlock(l, "spin_unlock_irq(" #l ")"))
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
#define wake_up(wq) KSHIM_AT(kshim_wake_up(wq, "wake_up(" #wq ")"))
#define wake_up_interruptible(wq) KSHIM_AT(kshim_wake_up(wq, "wake_up_interruptible(" #wq ")"))
#define wake_up_all(wq) KSHIM_AT(kshim_wake_up(wq, "wake_up_all(" #wq ")"))
void kshim_wake_up(wait_queue_head_t *wq, const char *label);
void kshim_prepare_to_wait(wait_queue_head_t *wq, struct wait_queue_entry *e);
void kshim_finish_wait(wait_queue_head_t *wq, struct wait_queue_entry *e);
/* Sleeps until woken (interruptible: or a signal is pending for the sleeper). */
void kshim_sleep_on(struct wait_queue_entry *e, const char *label, bool interruptible);

/* wait_event(): the kernel's loop (___wait_event()). The interruptible one tests the condition
 * first, then a pending signal (prepare_to_wait_event()), and returns -ERESTARTSYS on a
 * signal, 0 when the condition holds; a signal ends its sleep (signal_wake_up()). */
#define wait_event(wq, cond) \
	((void)kshim_wait_event(wq, cond, "wait_event(" #wq ", " #cond ")", false))
#define wait_event_interruptible(wq, cond) \
	kshim_wait_event(wq, cond, "wait_event_interruptible(" #wq ", " #cond ")", true)
#define kshim_wait_event(wq, cond, label, interruptible)                  \
	({                                                                \
		int __ret = 0;                                            \
		struct wait_queue_entry __we = { .task = NULL };          \
		kshim_func = __func__;                                    \
		kyield(Y_WAIT_EVENT, label);                              \
		for (;;) {                                                \
			kshim_prepare_to_wait(&(wq), &__we);              \
			if (cond)                                         \
				break;                                    \
			if ((interruptible) && kshim_signal_pending()) {  \
				__ret = -ERESTARTSYS;                     \
				break;                                    \
			}                                                 \
			kshim_sleep_on(&__we, label, interruptible);      \
		}                                                         \
		kshim_finish_wait(&(wq), &__we);                          \
		__ret;                                                    \
	})

struct completion {
	unsigned int done;
};
#define DECLARE_COMPLETION_ONSTACK(c) struct completion c = { 0 }
#define init_completion(c) ((c)->done = 0)
#define reinit_completion(c) ((c)->done = 0)
#define complete(c) KSHIM_AT(kshim_complete(c, "complete(" #c ")"))
#define wait_for_completion(c) KSHIM_AT(kshim_wait_for_completion(c, "wait_for_completion(" #c ")"))
#define wait_for_completion_timeout(c, t) \
	KSHIM_AT(kshim_wait_for_completion_timeout(c, t, "wait_for_completion_timeout(" #c ", " #t ")"))
#define try_wait_for_completion(c) \
	KSHIM_AT(kshim_try_wait_for_completion(c, "try_wait_for_completion(" #c ")"))
void kshim_complete(struct completion *c, const char *label);
void kshim_wait_for_completion(struct completion *c, const char *label);
/* The interruptible wait: 0 once done, -ERESTARTSYS when a signal came first
 * (do_wait_for_common(): a completion already done wins over the signal). */
#define wait_for_completion_interruptible(c) \
	KSHIM_AT(kshim_wait_for_completion_interruptible(c, "wait_for_completion_interruptible(" #c ")"))
int kshim_wait_for_completion_interruptible(struct completion *c, const char *label);
/* Sleeps until `c` is done or `timeout` jiffies have passed since the call (its timer fires at
 * expiry + 1 at the earliest); returns the jiffies left (at least 1) or 0 when it timed out. */
unsigned long kshim_wait_for_completion_timeout(struct completion *c, unsigned long timeout,
						const char *label);
/* Takes `c` if it is done, without sleeping: a lock-free look (Y_CHECK). */
bool kshim_try_wait_for_completion(struct completion *c, const char *label);

/* ---------- workqueues ---------- */

struct work_struct;
typedef void (*work_func_t)(struct work_struct *);
struct workqueue_struct {
	const char *name;
	unsigned int flags;
	bool draining; /* __WQ_DRAINING: destroy_workqueue() has started */
};
#define WQ_UNBOUND (1u << 1)
#define WQ_FREEZABLE (1u << 2)
#define WQ_SYSFS (1u << 6)
struct work_struct {
	struct list_head entry; /* on the worklist while queued */
	work_func_t func;
	bool pending;           /* WORK_STRUCT_PENDING */
	bool queued;            /* on the worklist (PENDING and not waiting for its timer) */
	struct workqueue_struct *wq; /* the workqueue it was queued on last */
	bool canceling;         /* cancel_*_sync() holds PENDING while it waits: no queueing */
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

#define schedule_work(w) KSHIM_AT(kshim_queue_work(system_wq, w, "schedule_work(" #w ")"))
#define queue_work(wq, w) KSHIM_AT(kshim_queue_work(wq, w, "queue_work(" #w ")"))
#define schedule_delayed_work(dw, d) \
	KSHIM_AT(kshim_queue_delayed_work(system_wq, dw, d, "schedule_delayed_work(" #dw ", " #d ")"))
#define queue_delayed_work(wq, dw, d) \
	KSHIM_AT(kshim_queue_delayed_work(wq, dw, d, "queue_delayed_work(" #dw ", " #d ")"))
#define mod_delayed_work(wq, dw, d) \
	KSHIM_AT(kshim_mod_delayed_work(wq, dw, d, "mod_delayed_work(" #dw ", " #d ")"))
#define cancel_delayed_work(dw) KSHIM_AT(kshim_cancel_delayed_work(dw, false, "cancel_delayed_work(" #dw ")"))
#define cancel_delayed_work_sync(dw) \
	KSHIM_AT(kshim_cancel_delayed_work(dw, true, "cancel_delayed_work_sync(" #dw ")"))
#define cancel_work_sync(w) KSHIM_AT(kshim_cancel_work_sync(w, "cancel_work_sync(" #w ")"))
#define flush_work(w) KSHIM_AT(kshim_flush_work(w, "flush_work(" #w ")"))
bool kshim_queue_work(struct workqueue_struct *wq, struct work_struct *w, const char *label);
bool kshim_queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dw,
			      unsigned long delay, const char *label);
bool kshim_mod_delayed_work(struct workqueue_struct *wq, struct delayed_work *dw,
			    unsigned long delay, const char *label);
bool kshim_cancel_delayed_work(struct delayed_work *dw, bool sync, const char *label);
bool kshim_cancel_work_sync(struct work_struct *w, const char *label);
bool kshim_flush_work(struct work_struct *w, const char *label);

/* alloc_workqueue(): its own allocation, so that a use after destroy_workqueue() is an ASan
 * report. destroy_workqueue(): drains (queue_work() from outside is refused with a WARN, the
 * work stays PENDING as in __queue_work), waits until no work of it is queued or running,
 * frees it, and yields once more after the free (Y_FREE, "... freed"), as an unlock does. */
#define alloc_workqueue(fmt, flags, max_active, ...) kshim_alloc_workqueue(fmt, flags)
#define destroy_workqueue(wq) KSHIM_AT(kshim_destroy_workqueue(wq, "destroy_workqueue(" #wq ")"))
struct workqueue_struct *kshim_alloc_workqueue(const char *name, unsigned int flags);
void kshim_destroy_workqueue(struct workqueue_struct *wq, const char *label);
/* What a pointer to a workqueue points to, without following it (for observers). */
enum kshim_wq_state { KSHIM_WQ_NULL, KSHIM_WQ_ALIVE, KSHIM_WQ_DRAINING, KSHIM_WQ_FREED };
enum kshim_wq_state kshim_wq_state(const struct workqueue_struct *wq);

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
#define request_irq(irq, fn, flags, name, dev) KSHIM_AT(kshim_request_irq(irq, fn, name, dev))
#define free_irq(irq, dev) KSHIM_AT(kshim_free_irq(irq, dev, "free_irq(" #irq ", " #dev ")"))
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
#define kthread_run(fn, data, name) KSHIM_AT(kshim_kthread_run(fn, data, name))
struct task_struct *kshim_kthread_run(int (*fn)(void *), void *data, const char *name);
bool kthread_should_stop(void);
int kthread_stop(struct task_struct *t);
static inline void allow_signal(int sig) { (void)sig; }
int send_sig(int sig, struct task_struct *t, int priv);
/* signal_pending(current): a signal is pending for the running context (kctx.sigpending, or a
 * kthread's SIGKILL). Only the running task is ever asked, so `current` stands for it. */
bool kshim_signal_pending(void);
#define current ((struct task_struct *)NULL)
#define signal_pending(task) ((void)(task), kshim_signal_pending())
/* For the adapter: a signal to the task running in `c` (it wakes an interruptible sleep). */
void kshim_send_signal(struct kctx *c);
#define msleep(ms) KSHIM_AT(kyield(Y_WAIT_DEVICE, "msleep(" #ms ")")) /* the model passes no time there */

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
#define sysfs_notify(kobj, dir, attr) KSHIM_AT(kshim_sysfs_notify(kobj, attr))
void kshim_sysfs_notify(const void *kobj, const char *attr);

/* ---------- the shim's hooks into the protocol adapter (runner/adapter.h) ---------- */

struct kshim_hooks {
	void (*log)(enum klog_level level, const char *text);
	void (*queued_work)(struct work_struct *w);
	void (*completed)(struct completion *c);
	void (*freed)(void *p);
	/* queue_work() was called on `wq` (state as kshim_wq_state() says, before its effect). */
	void (*queue_work_called)(struct workqueue_struct *wq, enum kshim_wq_state state,
				  struct work_struct *w);
	/* A tracepoint (KSHIM_TRACE) fired. */
	void (*trace)(const char *event, const void *obj, long a, long b);
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
