/* SPDX-License-Identifier: MIT */
/*
 * A protocol adapter: how the model's events drive the C code under test.
 *
 * Everything protocol-specific about *when* code runs is one table of step rules, one per
 * event type of the model's alphabet. A rule says which execution context the event moves
 * and how far (to the next yield point of its `stop` set, or until it sleeps or returns),
 * or which action of the environment (device, clock, another user) it is. When the model
 * splits or merges a step, the table changes, not the code: add a yield kind to a rule's
 * `stop` set to split a context's run there, remove one to merge.
 *
 * Outputs come from what the code does that an observer can see, through the shim's hooks
 * and the simulated device: a register write the device decodes, a completion, a log line,
 * a context's return value (context_rule.finished). The adapter calls emit() for each.
 */
#ifndef HARNESS_ADAPTER_H
#define HARNESS_ADAPTER_H

#include "../kernel/kshim.h"
#include "json.h"

enum rule_action {
	RULE_START,  /* a call into the code: start `context` at `entry`, run to its first stop */
	RULE_RESUME, /* run `context`, which waits at a yield kind in `at`, to its next stop */
	RULE_WORK,   /* the workqueue runs the queued `work` in `context`, to its next stop */
	RULE_IRQ,    /* the interrupt `irq` is taken: its handler starts in `context` */
	RULE_ENV,    /* the environment acts (`act`): the device, the clock, another user */
};

enum payload_kind {
	PAY_NONE,
	PAY_INDEX, /* 0 .. bound `domain` - 1 */
	PAY_BOOL,
	PAY_ENUM,  /* one of `domain`, "a|b|c" */
	PAY_INTS,  /* one of the numbers in `domain`, "0|-1" */
};

struct payload_field {
	const char *key;
	enum payload_kind kind;
	const char *domain;
	int extra; /* PAY_INDEX: the domain is 0 .. bound `domain` + extra - 1 */
};

#define MAX_PAYLOAD 3

/*
 * An event type may have several rules (a worker that is started by one `work_step` and
 * advanced by the next): the first whose action fits the context's state is taken.
 */
struct step_rule {
	const char *event;           /* the model's event type */
	enum rule_action action;
	/* The context it runs; when `index_key` is set, the instance named by that payload
	 * field ("caller" with index_key "caller" and {"caller":1} is context "caller 1"). */
	const char *context;
	const char *index_key;
	unsigned at;                 /* RULE_RESUME: YBIT()s of the yield kinds it must wait at */
	unsigned stop;               /* YBIT()s of the yield kinds the run stops before */
	/* Instead of `stop`: where the run stops, by point (sched.h, kstop_fn). */
	kstop_fn stop_at;
	struct payload_field payload[MAX_PAYLOAD]; /* to list the enabled events */
	/* A precondition beyond the action's own (context idle, waiting at `at`, work queued);
	 * on false, *why says why the event cannot happen now. May be NULL. */
	bool (*enabled)(const struct hjson *event, const char **why);
	/* RULE_START: the entry point, run inside the new context. It must read what it needs
	 * from `event` before its first yield point (the event is gone after the step). */
	long (*entry)(const struct hjson *event);
	/* RULE_ENV: the action. Otherwise what the environment does just before the context
	 * runs (RULE_IRQ: the MSI is consumed; RULE_RESUME: the device wakes the sleeper, so
	 * `enabled` alone says whether the step can happen; RULE_WORK: the hardware's answer
	 * the work will read). May be NULL except for RULE_ENV. */
	void (*act)(const struct hjson *event);
	struct work_struct *(*work)(const struct hjson *event); /* RULE_WORK */
	bool delayed;                       /* RULE_WORK: it is a delayed_work's work */
	unsigned (*irq)(void);              /* RULE_IRQ */
	/* When one event type has several rules (e.g. a context per payload value that differs
	 * in kind): whether this rule is the one for `event`. NULL: it is. */
	bool (*match)(const struct hjson *event);
};

/* Per kind of context: what its return means, and the model's merged wake-ups. */
struct context_rule {
	const char *context;         /* as in step_rule.context */
	/* After every step, a context of this kind that sleeps at a kind in `auto_at` and can
	 * run again is run (to `auto_stop`) in the same step, because the model merges its
	 * wake-up into the step that woke it. 0: never. */
	unsigned auto_at;
	unsigned auto_stop;
	/* It ran (to a stop, a sleep or its return); called before `finished`. May be NULL. */
	void (*ran)(int index);
	/* Its function returned `result` (index: the instance, or -1). May be NULL. */
	void (*finished)(int index, long result);
	/* Where the model's step ends inside a stop set: a context of this kind stopped at a
	 * yield of its rule's `stop` set ends the step only if this returns true; otherwise it
	 * runs on to the next stop (the point counts as crossed). For grains that depend on the
	 * label and the driver's state, not on the yield kind alone. NULL: every stop ends it. */
	bool (*boundary)(int index, struct kctx *c);
};

struct harness_adapter {
	const char *protocol;
	const struct step_rule *rules;
	size_t n_rules;
	const struct context_rule *contexts;
	size_t n_contexts;
	/* A fresh driver and device for these bounds (the shim is reset already). Objects the
	 * previous vector left are the adapter's to free first. */
	void (*reset)(const struct hjson *bounds);
	/* Whether a pending timer may fire now although the kernel would not fire it yet (the
	 * model abstracts that wait). NULL, or options {"timers":"kernel"}: kernel timers. */
	bool (*timer_may_fire)(const struct timer_list *t);
	/* After every step that happened (and after reset). May be NULL. */
	void (*after_step)(void);
};

/* Each protocol's adapter.c defines it. */
extern const struct harness_adapter harness_adapter;

/* For adapters. */
void emit(const char *type, const char *fields_fmt, ...) __attribute__((format(printf, 2, 3)));
long harness_bound(const char *name, long fallback);
/* The context named `name` (instance `index`, or -1 for none). Created idle on first use. */
struct kctx *harness_context(const char *name, int index);
/* The instance index of a context of a kind with index_key ("caller 1" -> 1), or -1. */
int harness_context_index(const struct kctx *c);
/* Whether some instance of the model event `type` (a rule of the table) can happen now: for an
 * `enabled` function that depends on others (a clock that ticks only when nothing urgent can
 * run). It must not be called for the rule that asks. */
bool harness_event_enabled(const char *type);

#endif
