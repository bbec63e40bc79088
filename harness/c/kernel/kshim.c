// SPDX-License-Identifier: MIT
/* The kernel shim (see kshim.h for the semantics it keeps). */
#define _GNU_SOURCE
#include "kshim.h"
#include "include/linux/virtio.h"

#include <stdarg.h>
#include <stdio.h>

unsigned long jiffies = INITIAL_JIFFIES;
unsigned long kshim_msecs_per_jiffy = MSEC_PER_SEC / HZ;
unsigned long kshim_timer_slack = 1;
struct kshim_hooks kshim_hooks;

static struct workqueue_struct system_wq_struct = { "events" };
struct workqueue_struct *system_wq = &system_wq_struct;

static LIST_HEAD(timer_wheel);
static LIST_HEAD(worklist);

/* ---------- log ---------- */

void klog(enum klog_level level, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (kshim_hooks.log)
		kshim_hooks.log(level, text);
}

bool kwarn(bool cond, const char *where, const char *fmt, ...)
{
	char text[256];
	int n;
	va_list ap;

	if (!cond)
		return false;
	n = snprintf(text, sizeof(text), "WARNING: in %s: ", where);
	va_start(ap, fmt);
	vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
	va_end(ap);
	if (kshim_hooks.log)
		kshim_hooks.log(KLOG_WARN, text);
	return true;
}

/* ---------- memory ---------- */

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
void kshim_poison(const void *p, size_t n) { __asan_poison_memory_region(p, n); }
void kshim_unpoison(const void *p, size_t n) { __asan_unpoison_memory_region(p, n); }
#else
void kshim_poison(const void *p, size_t n) { (void)p, (void)n; }
void kshim_unpoison(const void *p, size_t n) { (void)p, (void)n; }
#endif

void *kmalloc(size_t size, gfp_t flags)
{
	(void)flags;
	return malloc(size);
}

void *kzalloc(size_t size, gfp_t flags)
{
	(void)flags;
	return calloc(1, size);
}

void *krealloc(void *p, size_t size, gfp_t flags)
{
	(void)flags;
	return realloc(p, size);
}

void *kcalloc(size_t n, size_t size, gfp_t flags)
{
	(void)flags;
	return calloc(n, size);
}

char *kasprintf(gfp_t flags, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	(void)flags;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

void kshim_kfree(void *p, const char *label)
{
	kyield(Y_FREE, label);
	if (p && kshim_hooks.freed)
		kshim_hooks.freed(p);
	free(p);
}

/* Device-managed allocations, newest first, each with a header that chains them. */
struct devres {
	struct devres *next;
	size_t size;
	max_align_t data[];
};
static struct devres *devres_list;

void *kshim_devm_kzalloc(struct device *dev, size_t size, gfp_t flags)
{
	struct devres *d = calloc(1, sizeof(*d) + size);

	(void)dev;
	(void)flags;
	if (!d)
		return NULL;
	d->size = size;
	d->next = devres_list;
	devres_list = d;
	return d->data;
}

void kshim_devres_release_all(void)
{
	while (devres_list) {
		struct devres *d = devres_list;

		devres_list = d->next;
		kshim_unpoison(d->data, d->size);
		free(d);
	}
}

/* ---------- timers ---------- */

void timer_setup(struct timer_list *t, void (*fn)(struct timer_list *), unsigned int flags)
{
	(void)flags;
	memset(t, 0, sizeof(*t));
	t->function = fn;
	INIT_LIST_HEAD(&t->entry);
}

static void timer_unlink(struct timer_list *t)
{
	if (t->pending) {
		list_del_init(&t->entry);
		t->pending = false;
	}
}

int mod_timer(struct timer_list *t, unsigned long expires)
{
	int was = t->pending;

	timer_unlink(t);
	t->expires = expires;
	t->armed_at = jiffies;
	t->pending = true;
	list_add_tail(&t->entry, &timer_wheel);
	return was;
}

void add_timer(struct timer_list *t)
{
	mod_timer(t, t->expires);
}

int del_timer(struct timer_list *t)
{
	int was = t->pending;

	timer_unlink(t);
	return was;
}

int del_timer_sync(struct timer_list *t)
{
	/* Timer functions run in the harness's own context, so none is running here. */
	return del_timer(t);
}

void kshim_timer_fire(struct timer_list *t)
{
	timer_unlink(t);
	t->function(t);
}

struct timer_list *kshim_next_timer(void)
{
	struct timer_list *t, *best = NULL;

	list_for_each_entry(t, &timer_wheel, entry)
		if (!best || time_before(t->expires, best->expires))
			best = t;
	return best;
}

void kshim_clock_advance(unsigned long n)
{
	while (n--) {
		struct timer_list *t;

		jiffies++;
		while ((t = kshim_next_timer()) && kshim_timer_due(t))
			kshim_timer_fire(t);
	}
}

/* ---------- locks ---------- */

/* The sleeper (a context) and what it waits for: a completion, or a mutex. */
struct interruptible_wait {
	void *on;
	struct kctx *task;
};

static bool mutex_free(void *arg)
{
	return ((struct mutex *)arg)->owner == NULL;
}

void kshim_mutex_lock(struct mutex *m, const char *label)
{
	kyield_wait(Y_LOCK, label, mutex_free, m);
	if (m->owner && m->owner == kcurrent)
		harness_fatal("%s: %s takes a mutex it holds (self-deadlock)", label,
			      kcurrent ? kcurrent->name : "harness");
	kblock(Y_WAIT_LOCK, label, mutex_free, m);
	m->owner = kcurrent;
}

static bool mutex_free_or_signalled(void *arg)
{
	struct interruptible_wait *w = arg;

	return mutex_free(w->on) || w->task->sigpending;
}

int kshim_mutex_lock_interruptible(struct mutex *m, const char *label)
{
	struct interruptible_wait w = { m, kcurrent };

	if (!kcurrent) { /* the harness itself never has a signal */
		kshim_mutex_lock(m, label);
		return 0;
	}
	kyield_wait(Y_LOCK, label, mutex_free_or_signalled, &w);
	if (m->owner && m->owner == kcurrent)
		harness_fatal("%s: %s takes a mutex it holds (self-deadlock)", label, kcurrent->name);
	kblock(Y_WAIT_LOCK, label, mutex_free_or_signalled, &w);
	if (!mutex_free(m))
		return -EINTR;
	m->owner = kcurrent;
	return 0;
}

void kshim_mutex_unlock(struct mutex *m, const char *label)
{
	if (m->owner != kcurrent)
		harness_fatal("%s: not the owner", label);
	m->owner = NULL;
	kyield(Y_UNLOCK, label);
}

static bool spin_free(void *arg)
{
	return !((spinlock_t *)arg)->locked;
}

void kshim_spin_lock(spinlock_t *l, const char *label)
{
	/* A context stopped here cannot go on while another holds the lock (it would spin). */
	kyield_wait(Y_LOCK, label, spin_free, l);
	if (l->locked && l->owner == kcurrent) {
		fflush(stdout);
		fprintf(stderr, "BUG: spinlock recursion at %s\n", label);
		abort();
	}
	if (l->locked) {
		/* Another CPU holds it: this one spins, which here is waiting without sleeping. */
		int atomic = kcurrent ? kcurrent->atomic : 0;

		if (kcurrent)
			kcurrent->atomic = 0;
		kblock(Y_WAIT_LOCK, label, spin_free, l);
		if (kcurrent)
			kcurrent->atomic = atomic;
	}
	l->locked = true;
	l->owner = kcurrent;
	if (kcurrent) {
		kcurrent->atomic++;
		kcurrent->spinlocks++;
	}
}

void kshim_spin_unlock(spinlock_t *l, const char *label)
{
	if (!l->locked || l->owner != kcurrent)
		harness_fatal("%s: not the owner", label);
	l->locked = false;
	l->owner = NULL;
	if (kcurrent) {
		kcurrent->atomic--;
		kcurrent->spinlocks--;
	}
	kyield(Y_UNLOCK, label);
}

/* ---------- wait queues and completions ---------- */

void kshim_prepare_to_wait(wait_queue_head_t *wq, struct wait_queue_entry *e)
{
	if (!e->task || e->woken) { /* not on the queue: first time, or autoremoved by a wake */
		e->task = kcurrent;
		e->woken = false;
		list_add_tail(&e->entry, &wq->head);
	}
}

void kshim_finish_wait(wait_queue_head_t *wq, struct wait_queue_entry *e)
{
	(void)wq;
	if (!e->woken)
		list_del(&e->entry);
	e->task = NULL;
}

static bool entry_woken(void *arg)
{
	return ((struct wait_queue_entry *)arg)->woken;
}

/* An interruptible sleeper runs again when woken or signalled (e->task is the sleeper). */
static bool entry_woken_or_signalled(void *arg)
{
	struct wait_queue_entry *e = arg;

	return e->woken || (e->task && e->task->sigpending);
}

void kshim_sleep_on(struct wait_queue_entry *e, const char *label, bool interruptible)
{
	kblock(Y_WAIT_EVENT, label, interruptible ? entry_woken_or_signalled : entry_woken, e);
}

void kshim_wake_up(wait_queue_head_t *wq, const char *label)
{
	struct wait_queue_entry *e, *n;

	kyield(Y_WAKE, label);
	list_for_each_entry_safe(e, n, &wq->head, entry) {
		list_del(&e->entry); /* autoremove_wake_function */
		e->woken = true;
	}
}

void kshim_complete(struct completion *c, const char *label)
{
	kyield(Y_WAKE, label);
	if (c->done != UINT_MAX)
		c->done++;
	if (kshim_hooks.completed)
		kshim_hooks.completed(c);
}

static bool completion_done(void *arg)
{
	return ((struct completion *)arg)->done > 0;
}

void kshim_wait_for_completion(struct completion *c, const char *label)
{
	kyield(Y_WAIT_COMPLETION, label);
	kblock(Y_WAIT_COMPLETION, label, completion_done, c);
	if (c->done != UINT_MAX)
		c->done--;
}

static bool completion_done_or_signalled(void *arg)
{
	struct interruptible_wait *w = arg;

	return ((struct completion *)w->on)->done > 0 || w->task->sigpending;
}

int kshim_wait_for_completion_interruptible(struct completion *c, const char *label)
{
	struct interruptible_wait w = { c, kcurrent };

	kyield(Y_WAIT_COMPLETION, label);
	if (kcurrent)
		kblock(Y_WAIT_COMPLETION, label, completion_done_or_signalled, &w);
	else
		kblock(Y_WAIT_COMPLETION, label, completion_done, c);
	if (!c->done)
		return -ERESTARTSYS;
	if (c->done != UINT_MAX)
		c->done--;
	return 0;
}

struct completion_timeout {
	struct completion *c;
	unsigned long expires;
};

/* Done, or the timeout's timer has fired (at expires + 1 at the earliest). */
static bool completion_or_timer(void *arg)
{
	struct completion_timeout *w = arg;

	return w->c->done > 0 || (long)(jiffies - w->expires) >= (long)kshim_timer_slack;
}

unsigned long kshim_wait_for_completion_timeout(struct completion *c, unsigned long timeout,
						const char *label)
{
	struct completion_timeout w = { c, jiffies + timeout };

	/* The timeout counts from the call: a context stopped here is already waiting. */
	kyield_wait(Y_WAIT_COMPLETION, label, completion_or_timer, &w);
	kblock(Y_WAIT_COMPLETION, label, completion_or_timer, &w);
	if (c->done == 0)
		return 0;
	if (c->done != UINT_MAX)
		c->done--;
	/* do_wait_for_common(): the jiffies left, at least 1 (`timeout ?: 1`). */
	return time_before(jiffies, w.expires) ? w.expires - jiffies : 1;
}

bool kshim_try_wait_for_completion(struct completion *c, const char *label)
{
	kyield(Y_CHECK, label);
	if (!c->done)
		return false;
	if (c->done != UINT_MAX)
		c->done--;
	return true;
}

/* ---------- workqueues ---------- */

void kshim_init_work(struct work_struct *w, work_func_t fn)
{
	memset(w, 0, sizeof(*w));
	w->func = fn;
	INIT_LIST_HEAD(&w->entry);
}

static void delayed_work_timer_fn(struct timer_list *t)
{
	struct delayed_work *dw = container_of(t, struct delayed_work, timer);

	/* __queue_work(): onto the worklist, PENDING still set. */
	list_add_tail(&dw->work.entry, &worklist);
	dw->work.queued = true;
	dw->work.wq = dw->wq;
}

void kshim_init_delayed_work(struct delayed_work *dw, work_func_t fn)
{
	kshim_init_work(&dw->work, fn);
	timer_setup(&dw->timer, delayed_work_timer_fn, 0);
}

static void insert_work(struct workqueue_struct *wq, struct work_struct *w)
{
	w->wq = wq;
	list_add_tail(&w->entry, &worklist);
	w->queued = true;
	if (kshim_hooks.queued_work)
		kshim_hooks.queued_work(w);
}

/* Workqueues by address, with what became of them (pointers never followed after the free). */
#define MAX_WQS 8
static struct {
	const struct workqueue_struct *wq;
	enum kshim_wq_state state;
} wqs[MAX_WQS];

enum kshim_wq_state kshim_wq_state(const struct workqueue_struct *wq)
{
	if (!wq)
		return KSHIM_WQ_NULL;
	if (wq == system_wq)
		return KSHIM_WQ_ALIVE;
	for (int i = 0; i < MAX_WQS; i++)
		if (wqs[i].wq == wq)
			return wqs[i].state;
	harness_fatal("queue_work on a workqueue the shim never allocated");
}

struct workqueue_struct *kshim_alloc_workqueue(const char *name, unsigned int flags)
{
	struct workqueue_struct *wq = calloc(1, sizeof(*wq));

	if (!wq)
		return NULL;
	wq->name = name;
	wq->flags = flags;
	for (int i = 0; i < MAX_WQS; i++)
		if (!wqs[i].wq || wqs[i].state == KSHIM_WQ_FREED) {
			wqs[i].wq = wq;
			wqs[i].state = KSHIM_WQ_ALIVE;
			return wq;
		}
	harness_fatal("too many workqueues");
}

bool kshim_queue_work(struct workqueue_struct *wq, struct work_struct *w, const char *label)
{
	kyield(Y_QUEUE_WORK, label);
	if (kshim_hooks.queue_work_called)
		kshim_hooks.queue_work_called(wq, kshim_wq_state(wq), w);
	/* queue_work_on(): PENDING first; only a work that was not pending goes further. */
	if (w->pending)
		return false;
	w->pending = true;
	/* __queue_work(): reads the workqueue (a freed one is ASan's, NULL is a SEGV). While it
	 * drains, a work from outside is refused with a WARN, and stays PENDING. */
	if (wq->draining) {
		kwarn(true, "__queue_work", "workqueue %s is draining", wq->name);
		return true;
	}
	insert_work(wq, w);
	return true;
}

/* __queue_delayed_work(): delay 0 queues now, otherwise the timer does it. */
static void queue_delayed(struct workqueue_struct *wq, struct delayed_work *dw,
			  unsigned long delay)
{
	dw->wq = wq;
	if (!delay) {
		insert_work(wq, &dw->work);
		return;
	}
	mod_timer(&dw->timer, jiffies + delay);
	if (kshim_hooks.queued_work)
		kshim_hooks.queued_work(&dw->work);
}

bool kshim_queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dw,
			      unsigned long delay, const char *label)
{
	kyield(Y_QUEUE_WORK, label);
	if (dw->work.pending)
		return false;
	dw->work.pending = true;
	queue_delayed(wq, dw, delay);
	return true;
}

/* try_to_grab_pending(): take a pending work off its timer or the worklist. */
static bool grab_pending(struct delayed_work *dw)
{
	bool was = dw->work.pending;

	del_timer(&dw->timer);
	if (dw->work.queued) {
		list_del_init(&dw->work.entry);
		dw->work.queued = false;
	}
	dw->work.pending = false;
	return was;
}

bool kshim_mod_delayed_work(struct workqueue_struct *wq, struct delayed_work *dw,
			    unsigned long delay, const char *label)
{
	bool was;

	kyield(Y_QUEUE_WORK, label);
	if (dw->work.canceling) /* try_to_grab_pending() says -ENOENT: nothing is queued */
		return false;
	was = grab_pending(dw);
	dw->work.pending = true;
	queue_delayed(wq, dw, delay);
	return was;
}

/* The works executing now, and how many times each has finished. Like the kernel's busy
 * hash, the table holds pointers it never follows: a work may free itself. */
#define MAX_RUNNING 16
#define MAX_TRACKED 32
static const struct work_struct *running_work[MAX_RUNNING];
static const struct workqueue_struct *running_wq[MAX_RUNNING];
static struct {
	const struct work_struct *w;
	unsigned long done;
} finished[MAX_TRACKED];

static bool work_running(const struct work_struct *w)
{
	for (size_t i = 0; i < MAX_RUNNING; i++)
		if (running_work[i] == w)
			return true;
	return false;
}

static unsigned long *done_count(const struct work_struct *w)
{
	for (size_t i = 0; i < MAX_TRACKED; i++)
		if (finished[i].w == w)
			return &finished[i].done;
	for (size_t i = 0; i < MAX_TRACKED; i++)
		if (!finished[i].w) {
			finished[i].w = w;
			return &finished[i].done;
		}
	harness_fatal("too many works");
}

static bool work_idle(void *arg)
{
	return !work_running(arg);
}

bool kshim_cancel_delayed_work(struct delayed_work *dw, bool sync, const char *label)
{
	bool was;

	kyield(Y_CANCEL_WORK, label);
	was = grab_pending(dw);
	if (sync) {
		/* mark_work_canceling(): PENDING stays taken until the running instance is done */
		dw->work.pending = dw->work.canceling = true;
		kblock(Y_WAIT_WORK, label, work_idle, &dw->work);
		dw->work.pending = dw->work.canceling = false;
	}
	return was;
}

bool kshim_cancel_work_sync(struct work_struct *w, const char *label)
{
	bool was = w->pending;

	kyield(Y_CANCEL_WORK, label);
	if (w->queued) {
		list_del_init(&w->entry);
		w->queued = false;
	}
	w->pending = false;
	kblock(Y_WAIT_WORK, label, work_idle, w);
	return was;
}

/* flush_work(): a barrier behind the running instance and the queued one, if any; waits for
 * both. A work queued again after the flush began is not waited for, nor a delayed work
 * whose timer has not fired (it is on no worklist yet: flush_delayed_work() would fire it). */
struct flush_barrier {
	const struct work_struct *w;
	unsigned long until;
};

static bool barrier_reached(void *arg)
{
	struct flush_barrier *b = arg;

	return *done_count(b->w) >= b->until;
}

bool kshim_flush_work(struct work_struct *w, const char *label)
{
	bool busy = work_running(w) || w->queued;
	struct flush_barrier b = { w, *done_count(w) + work_running(w) + (w->queued ? 1 : 0) };

	kyield_wait(Y_WAIT_WORK, label, barrier_reached, &b);
	kblock(Y_WAIT_WORK, label, barrier_reached, &b);
	return busy;
}

/* No work of `wq` on the worklist, none running: what destroy_workqueue() waits for. */
static bool wq_idle(void *arg)
{
	const struct workqueue_struct *wq = arg;
	const struct work_struct *q;

	list_for_each_entry(q, &worklist, entry)
		if (q->wq == wq)
			return false;
	for (size_t i = 0; i < MAX_RUNNING; i++)
		if (running_work[i] && running_wq[i] == wq)
			return false;
	return true;
}

void kshim_destroy_workqueue(struct workqueue_struct *wq, const char *label)
{
	int slot = -1;

	kyield(Y_CANCEL_WORK, label);
	/* drain_workqueue(): __WQ_DRAINING, then flush until nothing of it is queued or runs. */
	wq->draining = true;
	for (int i = 0; i < MAX_WQS; i++)
		if (wqs[i].wq == wq && wqs[i].state != KSHIM_WQ_FREED)
			slot = i;
	if (slot < 0)
		harness_fatal("%s: not a live workqueue", label);
	wqs[slot].state = KSHIM_WQ_DRAINING;
	kyield_wait(Y_WAIT_WORK, label, wq_idle, wq);
	kblock(Y_WAIT_WORK, label, wq_idle, wq);
	wqs[slot].state = KSHIM_WQ_FREED;
	free(wq);
	/* Stopped after its effect, as an unlock is: the workqueue is gone. */
	kyield(Y_FREE, label);
}

bool kshim_work_queued(const struct work_struct *w)
{
	const struct work_struct *q;

	/* Walk the worklist as a worker does (it reads every queued item). */
	list_for_each_entry(q, &worklist, entry)
		if (q == w)
			return true;
	return false;
}

static long worker_fn(void *arg)
{
	struct work_struct *w = arg;

	w->func(w);
	/* The work may have freed itself: forget the pointer without following it. */
	for (size_t i = 0; i < MAX_RUNNING; i++)
		if (running_work[i] == w) {
			running_work[i] = NULL;
			running_wq[i] = NULL;
		}
	(*done_count(w))++;
	return 0;
}

void kshim_run_work(struct kctx *worker, const char *name, struct work_struct *w, unsigned stop)
{
	if (!w->queued)
		harness_fatal("%s: the work is not on the worklist", name);
	if (work_running(w))
		harness_fatal("%s: the work is running already (non-reentrant)", name);
	/* process_one_work(): off the list, PENDING cleared, then the function. */
	list_del_init(&w->entry);
	w->queued = false;
	w->pending = false;
	for (size_t i = 0; i < MAX_RUNNING; i++)
		if (!running_work[i]) {
			running_work[i] = w;
			running_wq[i] = w->wq;
			break;
		}
	kctx_start(worker, name, worker_fn, w, stop);
}

bool kshim_work_running(const struct work_struct *w)
{
	return work_running(w);
}

/* ---------- interrupts ---------- */

#define MAX_IRQS 8
static struct {
	unsigned int irq;
	irq_handler_t fn;
	void *dev_id;
	bool running;
} irqs[MAX_IRQS];

static int irq_slot(unsigned int irq)
{
	for (int i = 0; i < MAX_IRQS; i++)
		if (irqs[i].fn && irqs[i].irq == irq)
			return i;
	return -1;
}

int kshim_request_irq(unsigned int irq, irq_handler_t fn, const char *name, void *dev_id)
{
	(void)name;
	if (irq_slot(irq) >= 0)
		return -EBUSY;
	for (int i = 0; i < MAX_IRQS; i++)
		if (!irqs[i].fn) {
			irqs[i].irq = irq;
			irqs[i].fn = fn;
			irqs[i].dev_id = dev_id;
			irqs[i].running = false;
			return 0;
		}
	return -ENOMEM;
}

static bool irq_idle(void *arg)
{
	return !irqs[(intptr_t)arg].running;
}

void kshim_free_irq(unsigned int irq, void *dev_id, const char *label)
{
	int i = irq_slot(irq);

	kyield(Y_DEVICE, label);
	if (i < 0 || irqs[i].dev_id != dev_id)
		harness_fatal("%s: irq %u was not requested", label, irq);
	/* synchronize_irq(): wait for a handler running on another CPU. */
	kblock(Y_WAIT_IRQ, label, irq_idle, (void *)(intptr_t)i);
	irqs[i].fn = NULL;
	irqs[i].dev_id = NULL;
}

bool kshim_irq_requested(unsigned int irq)
{
	return irq_slot(irq) >= 0;
}

bool kshim_irq_running(unsigned int irq)
{
	int i = irq_slot(irq);

	return i >= 0 && irqs[i].running;
}

static long irq_fn(void *arg)
{
	int i = (int)(intptr_t)arg;
	irqreturn_t ret;

	kcurrent->in_irq = true;
	kcurrent->atomic++;
	ret = irqs[i].fn((int)irqs[i].irq, irqs[i].dev_id);
	kcurrent->atomic--;
	kcurrent->in_irq = false;
	irqs[i].running = false;
	return ret;
}

void kshim_irq_start(struct kctx *c, unsigned int irq, unsigned stop)
{
	int i = irq_slot(irq);

	if (i < 0)
		harness_fatal("irq %u: no handler", irq);
	irqs[i].running = true;
	kctx_start(c, "irq", irq_fn, (void *)(intptr_t)i, stop);
}

/* ---------- kthreads and sysfs ---------- */

#define MAX_KTHREADS 4
static struct task_struct kthreads[MAX_KTHREADS];

static long kthread_fn(void *arg)
{
	struct task_struct *t = arg;

	t->result = t->fn(t->data);
	t->exited = true;
	return t->result;
}

struct task_struct *kshim_kthread_run(int (*fn)(void *), void *data, const char *name)
{
	for (int i = 0; i < MAX_KTHREADS; i++) {
		struct task_struct *t = &kthreads[i];

		if (t->fn)
			continue;
		snprintf(t->comm, sizeof(t->comm), "%s", name);
		t->fn = fn;
		t->data = data;
		t->ctx = kshim_hooks.kthread_context(name);
		kctx_start(t->ctx, name, kthread_fn, t, 0);
		return t;
	}
	return ERR_PTR(-ENOMEM);
}

static struct task_struct *current_task(void)
{
	for (int i = 0; i < MAX_KTHREADS; i++)
		if (kthreads[i].fn && kthreads[i].ctx == kcurrent)
			return &kthreads[i];
	return NULL;
}

bool kthread_should_stop(void)
{
	struct task_struct *t = current_task();

	return t && t->should_stop;
}

bool kshim_signal_pending(void)
{
	struct task_struct *t = current_task();

	return (kcurrent && kcurrent->sigpending) || (t && t->sigkill);
}

void kshim_send_signal(struct kctx *c)
{
	c->sigpending = true;
}

int send_sig(int sig, struct task_struct *t, int priv)
{
	(void)priv;
	if (sig == SIGKILL)
		t->sigkill = true;
	return 0;
}

static bool kthread_exited(void *arg)
{
	return ((struct task_struct *)arg)->exited;
}

int kthread_stop(struct task_struct *t)
{
	kyield(Y_WAKE, "kthread_stop");
	t->should_stop = true;
	kblock(Y_WAIT_WORK, "kthread_stop", kthread_exited, t);
	return t->result;
}

void kshim_sysfs_notify(const void *kobj, const char *attr)
{
	kyield(Y_WAKE, "sysfs_notify");
	if (kshim_hooks.sysfs_notified)
		kshim_hooks.sysfs_notified(kobj, attr);
}

/* ---------- the scan ---------- */

void kshim_scan(void)
{
	const struct work_struct *w;
	work_func_t volatile func;

	kshim_next_timer();
	list_for_each_entry(w, &worklist, entry)
		func = w->func;
	(void)func;
}

/* ---------- reset ---------- */

void kshim_reset(void)
{
	/* Power off: the device's rings, then the driver's device-managed memory. */
	kshim_vq_release_all();
	kshim_devres_release_all();
	jiffies = INITIAL_JIFFIES;
	INIT_LIST_HEAD(&timer_wheel);
	INIT_LIST_HEAD(&worklist);
	memset(irqs, 0, sizeof(irqs));
	memset(kthreads, 0, sizeof(kthreads));
	memset(running_work, 0, sizeof(running_work));
	memset(running_wq, 0, sizeof(running_wq));
	for (int i = 0; i < MAX_WQS; i++) /* power off: what the previous vector left */
		if (wqs[i].wq && wqs[i].state != KSHIM_WQ_FREED)
			free((void *)wqs[i].wq);
	memset(wqs, 0, sizeof(wqs));
	kshim_msecs_per_jiffy = MSEC_PER_SEC / HZ;
	memset(finished, 0, sizeof(finished));
}
