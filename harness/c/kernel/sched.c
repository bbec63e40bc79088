// SPDX-License-Identifier: MIT
/*
 * The deterministic coroutine scheduler (see sched.h). One OS thread; a context runs only
 * inside kctx_start()/kctx_resume(), and comes back at its next stop.
 *
 * Under AddressSanitizer every switch is announced with __sanitizer_start_switch_fiber() /
 * __sanitizer_finish_switch_fiber(), so that ASan knows which stack is live and reports on
 * a context's stack are right. A context's stack is freed when its function returns: code
 * that still touches a frame of it (a task on a returned caller's stack) is then reported by
 * ASan as a heap-use-after-free of that stack, "freed by" kctx_finished().
 */
#define _GNU_SOURCE
#include "sched.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define ASAN_FIBERS 1
#else
#define ASAN_FIBERS 0
#endif

#define KCTX_STACK_SIZE (256 * 1024)
#define MAX_CROSSED 256

struct kctx *kcurrent;
const char *kshim_func;

static ucontext_t harness_uc;
static const void *harness_stack_bottom;
static size_t harness_stack_size;
static struct kctx *starting;

static char crossed_text[MAX_CROSSED][96];
static const char *crossed[MAX_CROSSED];
static struct kpoint crossed_points[MAX_CROSSED];
static size_t n_crossed;

static const char *const kind_names[Y_KIND_COUNT] = {
	[Y_START] = "start",
	[Y_LOCK] = "lock",
	[Y_UNLOCK] = "unlock",
	[Y_REG_READ] = "reg_read",
	[Y_REG_WRITE] = "reg_write",
	[Y_DEVICE] = "device",
	[Y_QUEUE_WORK] = "queue_work",
	[Y_CANCEL_WORK] = "cancel_work",
	[Y_WAKE] = "wake",
	[Y_WAIT_EVENT] = "wait_event",
	[Y_WAIT_COMPLETION] = "wait_for_completion",
	[Y_WAIT_IRQ] = "wait_irq",
	[Y_WAIT_WORK] = "wait_work",
	[Y_WAIT_LOCK] = "wait_lock",
	[Y_WAIT_DEVICE] = "wait_device",
	[Y_FREE] = "free",
	[Y_REF] = "ref",
	[Y_CALL] = "call",
	[Y_CHECK] = "check",
	[Y_ACCESS] = "access",
};

const char *yield_kind_name(enum yield_kind kind)
{
	return kind < Y_KIND_COUNT ? kind_names[kind] : "?";
}

void harness_fatal(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("harness: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(3);
}

/* Into a context from the harness, and back when it stops. */
static void run(struct kctx *c, unsigned stop)
{
	void *harness_fake_stack = NULL;

	if (kcurrent)
		harness_fatal("%s tried to run %s: only the harness runs contexts", kcurrent->name,
			      c->name);
	c->stop = stop;
	n_crossed = 0;
	kcurrent = c;
#if ASAN_FIBERS
	__sanitizer_start_switch_fiber(&harness_fake_stack, c->stack, c->stack_size);
#endif
	swapcontext(&harness_uc, (ucontext_t *)c->uc);
#if ASAN_FIBERS
	__sanitizer_finish_switch_fiber(harness_fake_stack, NULL, NULL);
#endif
	(void)harness_fake_stack;
	kcurrent = NULL;
	if (c->finished) {
		/* Its function returned: the frames on this stack are gone (see the file comment). */
		free(c->stack);
		free(c->uc);
		c->stack = NULL;
		c->uc = NULL;
	}
}

/* From a context back to the harness; returns when the harness runs it again. */
static void switch_out(struct kctx *c)
{
#if ASAN_FIBERS
	__sanitizer_start_switch_fiber(&c->fake_stack, harness_stack_bottom, harness_stack_size);
#endif
	swapcontext((ucontext_t *)c->uc, &harness_uc);
#if ASAN_FIBERS
	__sanitizer_finish_switch_fiber(c->fake_stack, NULL, NULL);
#endif
}

static void context_main(void)
{
	struct kctx *c = starting;

#if ASAN_FIBERS
	__sanitizer_finish_switch_fiber(NULL, &harness_stack_bottom, &harness_stack_size);
#endif
	c->result = c->fn(c->arg);
	c->finished = true;
	c->status = KCTX_IDLE;
	c->at = Y_START;
	c->label = "returned";
#if ASAN_FIBERS
	/* NULL: this stack is never switched back to. */
	__sanitizer_start_switch_fiber(NULL, harness_stack_bottom, harness_stack_size);
#endif
	/* uc_link takes us back to harness_uc. */
}

void kctx_start(struct kctx *c, const char *name, kctx_fn fn, void *arg, unsigned stop)
{
	ucontext_t *uc;

	if (c->status != KCTX_IDLE)
		harness_fatal("kctx_start(%s): it is running (at %s)", name, c->label);
	snprintf(c->name, sizeof(c->name), "%s", name);
	uc = calloc(1, sizeof(*uc));
	c->stack_size = KCTX_STACK_SIZE;
	c->stack = malloc(c->stack_size);
	if (!uc || !c->stack)
		harness_fatal("out of memory");
	getcontext(uc);
	uc->uc_stack.ss_sp = c->stack;
	uc->uc_stack.ss_size = c->stack_size;
	uc->uc_link = &harness_uc;
	makecontext(uc, context_main, 0);
	c->uc = uc;
	c->fn = fn;
	c->arg = arg;
	c->finished = false;
	c->result = 0;
	c->sigpending = false;
	c->atomic = 0;
	c->spinlocks = 0;
	c->status = KCTX_STOPPED;
	c->at = Y_START;
	c->label = "start";
	c->from = (struct kpoint){ Y_START, "start", NULL, 0 };
	starting = c;
	run(c, stop);
}

bool kctx_can_run(const struct kctx *c)
{
	switch (c->status) {
	case KCTX_STOPPED:
		return !c->wait_pred || c->wait_pred(c->wait_arg);
	case KCTX_BLOCKED:
		return c->wait_pred(c->wait_arg);
	default:
		return false;
	}
}

void kctx_resume(struct kctx *c, unsigned stop)
{
	if (!kctx_can_run(c))
		harness_fatal("kctx_resume(%s): it cannot run (at %s)", c->name,
			      c->status == KCTX_IDLE ? "nothing" : c->label);
	c->finished = false;
	run(c, stop);
}

void kctx_discard(struct kctx *c)
{
	/* Its frames are abandoned where they stand, as if the machine stopped. */
	free(c->stack);
	free(c->uc);
	memset(c, 0, sizeof(*c));
}

static void note_crossed(const struct kpoint *p)
{
	if (n_crossed == MAX_CROSSED)
		return;
	snprintf(crossed_text[n_crossed], sizeof(crossed_text[0]), "%s %s",
		 yield_kind_name(p->kind), p->label);
	crossed[n_crossed] = crossed_text[n_crossed];
	crossed_points[n_crossed] = *p;
	n_crossed++;
}

bool kctx_run_crossed(enum yield_kind kind, const char *func, const char *label)
{
	for (size_t i = 0; i < n_crossed; i++)
		if (crossed_points[i].kind == kind &&
		    (!func || (crossed_points[i].func && !strcmp(crossed_points[i].func, func))) &&
		    (!label || strstr(crossed_points[i].label, label)))
			return true;
	return false;
}

size_t kctx_crossed(const char *const **labels)
{
	*labels = crossed;
	return n_crossed;
}

/* Whether the current run of `c` stops at this point (its stop rule, or its kinds). */
static bool stops_at(struct kctx *c, const struct kpoint *here)
{
	if (c->stop_fn)
		return c->stop_fn(c, &c->from, here);
	return c->stop & YBIT(here->kind);
}

void kyield_wait(enum yield_kind kind, const char *label, kctx_pred pred, void *arg)
{
	struct kctx *c = kcurrent;
	struct kpoint here;

	if (!c)
		return; /* the harness's own context (a device action) never stops */
	/* A shim operation starts here; its kblock(), if any, is the same operation. */
	c->op_func = kshim_func;
	here = (struct kpoint){ kind, label, c->op_func, c->spinlocks };
	if (!stops_at(c, &here)) {
		note_crossed(&here);
		return;
	}
	c->status = KCTX_STOPPED;
	c->at = kind;
	c->label = label;
	c->from = here;
	c->wait_pred = pred;
	c->wait_arg = arg;
	switch_out(c);
	/* Other contexts ran meanwhile and set kshim_func: this operation's caller goes on. */
	kshim_func = c->op_func;
	c->wait_pred = NULL;
	c->wait_arg = NULL;
}

void kyield(enum yield_kind kind, const char *label)
{
	kyield_wait(kind, label, NULL, NULL);
}

void kblock(enum yield_kind kind, const char *label, kctx_pred pred, void *arg)
{
	struct kctx *c = kcurrent;

	if (!c) {
		if (pred(arg))
			return;
		harness_fatal("the harness itself would sleep at %s", label);
	}
	if (c->atomic) {
		/* What CONFIG_DEBUG_ATOMIC_SLEEP says in the kernel; a finding, so it aborts. */
		fflush(stdout);
		fprintf(stderr,
			"BUG: sleeping function called from invalid context at %s (%s, %s)\n",
			label, c->name, c->in_irq ? "in hard IRQ" : "with a spinlock held");
		abort();
	}
	while (!pred(arg)) {
		c->status = KCTX_BLOCKED;
		c->at = kind;
		c->label = label;
		c->from = (struct kpoint){ kind, label, c->op_func, c->spinlocks };
		c->wait_pred = pred;
		c->wait_arg = arg;
		switch_out(c);
		kshim_func = c->op_func; /* as in kyield_wait() */
	}
	c->wait_pred = NULL;
	c->wait_arg = NULL;
}
