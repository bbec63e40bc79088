// SPDX-License-Identifier: MIT
/*
 * The harness process: one protocol adapter, the kernel shim and the scheduler, driven by a
 * line protocol on stdin/stdout (docs/test-vectors.md, "Your own C behind the harness").
 *
 *   start   -> {"harness":"mailbox-models-c","version":1,"protocol":P}
 *   {"op":"reset","bounds":{...},"options":{...}}
 *           -> {"outputs":[...],"log":[...]}
 *   {"op":"apply","event":{"type":...}}
 *           -> {"outputs":[...],"log":[...]}   (the step happened)
 *           or {"refused":"why"}               (not possible now; nothing happened)
 *   EOF     -> exit 0
 *
 * options: "timers": "model" (default: the adapter's timer_may_fire) or "kernel";
 * "crossed": true adds the yield points each step passed without stopping; "enabled": true
 * adds the events possible after the step (every payload the table's domains give).
 * A memory error ends the process in AddressSanitizer's report (stderr), a harness error
 * in "harness: ..." and exit 3; the TS side reports either at the step that caused it.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"

#define MAX_CONTEXTS 16

static struct {
	char kind[32];
	int index;
	struct kctx k;
} contexts[MAX_CONTEXTS];
static size_t n_contexts;

static struct hjson_arena request_arena, bounds_arena;
static const struct hjson *bounds;
static bool kernel_timers;
static bool report_crossed;
static bool report_enabled;

static struct hbuf outputs, log_lines, reply, crossed_lines;
static bool first_output, first_log, first_crossed;

/* ---------- for adapters ---------- */

void emit(const char *type, const char *fields_fmt, ...)
{
	va_list ap;
	char fields[512];

	va_start(ap, fields_fmt);
	vsnprintf(fields, sizeof(fields), fields_fmt, ap);
	va_end(ap);
	hbuf_add(&outputs, "%s{\"type\":", first_output ? "" : ",");
	hbuf_add_string(&outputs, type);
	if (fields[0])
		hbuf_add(&outputs, ",%s", fields);
	hbuf_add(&outputs, "}");
	first_output = false;
}

long harness_bound(const char *name, long fallback)
{
	return hjson_int(bounds, name, fallback);
}

struct kctx *harness_context(const char *name, int index)
{
	for (size_t i = 0; i < n_contexts; i++)
		if (!strcmp(contexts[i].kind, name) && contexts[i].index == index)
			return &contexts[i].k;
	if (n_contexts == MAX_CONTEXTS)
		harness_fatal("too many contexts");
	snprintf(contexts[n_contexts].kind, sizeof(contexts[0].kind), "%s", name);
	contexts[n_contexts].index = index;
	memset(&contexts[n_contexts].k, 0, sizeof(struct kctx));
	return &contexts[n_contexts++].k;
}

static struct kctx *kthread_context(const char *name)
{
	return harness_context(name, -1);
}

int harness_context_index(const struct kctx *c)
{
	for (size_t i = 0; i < n_contexts; i++)
		if (&contexts[i].k == c)
			return contexts[i].index;
	return -1;
}

static const struct context_rule *context_rule_of(const char *kind)
{
	for (size_t i = 0; i < harness_adapter.n_contexts; i++)
		if (!strcmp(harness_adapter.contexts[i].context, kind))
			return &harness_adapter.contexts[i];
	return NULL;
}

/* ---------- the shim's log, into the reply ---------- */

static void on_log(enum klog_level level, const char *text)
{
	static const char *const names[] = { "err", "warn", "info", "debug" };

	hbuf_add(&log_lines, "%s", first_log ? "" : ",");
	first_log = false;
	{
		char line[320];

		snprintf(line, sizeof(line), "%s: %s", names[level], text);
		/* strip the trailing newline kernel messages carry */
		line[strcspn(line, "\n")] = 0;
		hbuf_add_string(&log_lines, line);
	}
}

/* ---------- steps ---------- */

static bool step_enabled(const struct step_rule *r, const struct hjson *event, const char **why);

/* The rule of `event` that can take it now, or NULL with *why from its first rule. */
static const struct step_rule *enabled_rule_of(const struct hjson *event, const char **why)
{
	const char *type = hjson_str(event, "type", "");
	const char *first_why = NULL;

	for (size_t i = 0; i < harness_adapter.n_rules; i++) {
		const struct step_rule *r = &harness_adapter.rules[i];

		if (strcmp(r->event, type) || (r->match && !r->match(event)))
			continue;
		if (step_enabled(r, event, why))
			return r;
		if (!first_why)
			first_why = *why;
	}
	*why = first_why ? first_why : "the event is not in this adapter's table";
	return NULL;
}

static int instance_of(const struct step_rule *r, const struct hjson *event)
{
	return r->index_key ? (int)hjson_int(event, r->index_key, -1) : -1;
}

/* The work's timer has not fired: may it fire now? (kernel timers: the clock fires them) */
static bool work_may_start(const struct step_rule *r, struct work_struct *w)
{
	if (w->queued)
		return true;
	if (!r->delayed || !w->pending || kernel_timers || !harness_adapter.timer_may_fire)
		return false;
	return harness_adapter.timer_may_fire(&container_of(w, struct delayed_work, work)->timer);
}

/* Whether the event can happen now; *why when not. Has no effect on the system. */
static bool step_enabled(const struct step_rule *r, const struct hjson *event, const char **why)
{
	int index = instance_of(r, event);
	struct kctx *c = r->context ? harness_context(r->context, index) : NULL;

	if (r->index_key) {
		const struct payload_field *f = &r->payload[0];

		if (index < 0 ||
		    (f->kind == PAY_INDEX && index >= harness_bound(f->domain, 0) + f->extra)) {
			*why = "no such instance";
			return false;
		}
	}
	switch (r->action) {
	case RULE_START:
		if (c->status != KCTX_IDLE) {
			*why = "that context is busy";
			return false;
		}
		break;
	case RULE_RESUME:
		if (c->status == KCTX_IDLE || !(r->at & YBIT(c->at))) {
			*why = "that context is not waiting there";
			return false;
		}
		if (!r->act && !kctx_can_run(c)) {
			*why = c->status == KCTX_BLOCKED ? "that context is asleep"
							 : "that context would sleep at once";
			return false;
		}
		break;
	case RULE_WORK: {
		struct work_struct *w = r->work(event);

		if (c->status != KCTX_IDLE) {
			*why = "the worker is busy";
			return false;
		}
		if (!w || !work_may_start(r, w)) {
			static char text[128];

			if (w && w->pending && r->delayed) {
				const struct timer_list *t =
					&container_of(w, struct delayed_work, work)->timer;

				long left = (long)(t->expires - jiffies);

				snprintf(text, sizeof(text),
					 "the work's timer has not fired: %ld jiffies to its expiry, "
					 "and it fires %lu after that at the earliest",
					 left, kshim_timer_slack);
				*why = text;
			} else {
				*why = "the work is not queued";
			}
			return false;
		}
		break;
	}
	case RULE_IRQ:
		if (c->status != KCTX_IDLE) {
			*why = "the handler is running";
			return false;
		}
		if (!kshim_irq_requested(r->irq())) {
			*why = "no handler is registered";
			return false;
		}
		break;
	case RULE_ENV:
		break;
	}
	if (r->enabled && !r->enabled(event, why))
		return false;
	return true;
}

static const struct step_rule *starting_rule;
static const struct hjson *starting_event;

static long start_trampoline(void *arg)
{
	const struct step_rule *r = starting_rule;
	const struct hjson *event = starting_event;

	(void)arg;
	return r->entry(event);
}

static void note_run(const struct kctx *c)
{
	const char *const *labels;
	size_t n = kctx_crossed(&labels);

	if (!report_crossed)
		return;
	for (size_t i = 0; i < n; i++) {
		char line[160];

		snprintf(line, sizeof(line), "%s: %s", c->name, labels[i]);
		hbuf_add(&crossed_lines, "%s", first_crossed ? "" : ",");
		hbuf_add_string(&crossed_lines, line);
		first_crossed = false;
	}
}

/* A context has run: record what it crossed, and report its return. */
static void after_run(struct kctx *c)
{
	const struct context_rule *cr = NULL;
	size_t i;

	note_run(c);
	for (i = 0; i < n_contexts && &contexts[i].k != c; i++)
		;
	if (i < n_contexts)
		cr = context_rule_of(contexts[i].kind);
	if (cr && cr->ran)
		cr->ran(contexts[i].index);
	if (c->finished) {
		c->finished = false;
		if (cr && cr->finished)
			cr->finished(contexts[i].index, c->result);
	}
}

/* The model's merged wake-ups (context_rule.auto_at), in context order, to a fixpoint. */
static void run_auto(void)
{
	bool again = true;

	while (again) {
		again = false;
		for (size_t i = 0; i < n_contexts; i++) {
			const struct context_rule *cr = context_rule_of(contexts[i].kind);
			struct kctx *c = &contexts[i].k;

			if (!cr || !cr->auto_at || c->status != KCTX_BLOCKED ||
			    !(cr->auto_at & YBIT(c->at)) || !kctx_can_run(c))
				continue;
			c->stop_fn = NULL;
			kctx_resume(c, cr->auto_stop);
			after_run(c);
			again = true;
		}
	}
}

/* The context stopped inside the model's step (context_rule.boundary): run it on. */
static void run_to_boundary(struct kctx *c, const char *kind, int index, unsigned stop)
{
	const struct context_rule *cr = context_rule_of(kind);

	if (!cr || !cr->boundary)
		return;
	while (c->status == KCTX_STOPPED && !cr->boundary(index, c)) {
		note_run(c);
		if (report_crossed) {
			char line[160];

			snprintf(line, sizeof(line), "%s: %s %s", c->name, yield_kind_name(c->at),
				 c->label ? c->label : "");
			hbuf_add(&crossed_lines, "%s", first_crossed ? "" : ",");
			hbuf_add_string(&crossed_lines, line);
			first_crossed = false;
		}
		kctx_resume(c, stop);
	}
}

static void perform(const struct step_rule *r, const struct hjson *event)
{
	int index = instance_of(r, event);
	struct kctx *c = r->context ? harness_context(r->context, index) : NULL;
	char name[48];

	if (r->context)
		snprintf(name, sizeof(name), index >= 0 ? "%s %d" : "%s", r->context, index);
	if (c)
		c->stop_fn = r->stop_at;
	switch (r->action) {
	case RULE_START:
		starting_rule = r;
		starting_event = event;
		kctx_start(c, name, start_trampoline, NULL, r->stop);
		break;
	case RULE_RESUME:
		if (r->act)
			r->act(event);
		kctx_resume(c, r->stop);
		break;
	case RULE_WORK: {
		struct work_struct *w = r->work(event);

		if (r->act)
			r->act(event);
		if (!w->queued) /* the model lets its timer fire now (work_may_start) */
			kshim_timer_fire(&container_of(w, struct delayed_work, work)->timer);
		kshim_run_work(c, name, w, r->stop);
		break;
	}
	case RULE_IRQ:
		if (r->act)
			r->act(event);
		kshim_irq_start(c, r->irq(), r->stop);
		break;
	case RULE_ENV:
		r->act(event);
		break;
	}
	if (c)
		run_to_boundary(c, r->context, index, r->stop);
	if (c)
		after_run(c);
	run_auto();
	if (harness_adapter.after_step)
		harness_adapter.after_step();
}

/* ---------- the enabled set ---------- */

/* The events listed so far in this enabled set (an event type may have several rules). */
#define MAX_LISTED 256
static char listed[MAX_LISTED][256];
static size_t n_listed;

static bool already_listed(const char *text)
{
	for (size_t i = 0; i < n_listed; i++)
		if (!strcmp(listed[i], text))
			return true;
	if (n_listed < MAX_LISTED)
		snprintf(listed[n_listed++], sizeof(listed[0]), "%s", text);
	return false;
}

/* Every enabled instance of `r`, added to `b` (when not NULL) unless another rule of the same
 * event listed it; returns how many, or 1 at the first one when `any`. */
static int enabled_instances(const struct step_rule *r, struct hbuf *b, bool *first, bool any)
{
	int count = 0;

	/* Every combination of the payload's domains, built as a small JSON object. */
	struct hjson object = { .type = HJ_OBJECT }, members[MAX_PAYLOAD + 1];
	char enum_values[MAX_PAYLOAD][8][16];
	long sizes[MAX_PAYLOAD] = { 1, 1, 1 }, counter[MAX_PAYLOAD] = { 0 };
	int n = 0;

	memset(members, 0, sizeof(members));
	members[0] = (struct hjson){ .type = HJ_STRING, .key = "type", .string = r->event };
	for (int i = 0; i < MAX_PAYLOAD && r->payload[i].kind != PAY_NONE; i++, n++) {
		const struct payload_field *f = &r->payload[i];

		members[i + 1].key = f->key;
		if (f->kind == PAY_INDEX)
			sizes[i] = harness_bound(f->domain, 0) + f->extra;
		else if (f->kind == PAY_BOOL)
			sizes[i] = 2;
		else {
			const char *p = f->domain;

			sizes[i] = 0;
			while (*p && sizes[i] < 8) {
				size_t len = strcspn(p, "|");

				snprintf(enum_values[i][sizes[i]++], 16, "%.*s", (int)len, p);
				p += len + (p[len] == '|');
			}
		}
	}
	for (int i = 0; i <= n; i++)
		members[i].next = i < n ? &members[i + 1] : NULL;
	object.child = &members[0];
	for (;;) {
		const char *why;
		bool empty = false;

		for (int i = 0; i < n; i++) {
			const struct payload_field *f = &r->payload[i];
			struct hjson *m = &members[i + 1];

			if (sizes[i] == 0)
				empty = true;
			if (f->kind == PAY_INDEX) {
				m->type = HJ_NUMBER;
				m->number = (double)counter[i];
			} else if (f->kind == PAY_BOOL) {
				m->type = HJ_BOOL;
				m->boolean = counter[i] == 1;
			} else if (f->kind == PAY_INTS) {
				m->type = HJ_NUMBER;
				m->number = strtod(enum_values[i][counter[i]], NULL);
			} else {
				m->type = HJ_STRING;
				m->string = enum_values[i][counter[i]];
			}
		}
		if (!empty && (!r->match || r->match(&object)) && step_enabled(r, &object, &why)) {
			char text[256];

			count++;
			if (any)
				return count;
			hjson_write(&object, text, sizeof(text));
			if (!already_listed(text)) {
				hbuf_add(b, "%s%s", *first ? "" : ",", text);
				*first = false;
			}
		}
		/* next combination */
		int i = 0;

		while (i < n && ++counter[i] >= sizes[i])
			counter[i++] = 0;
		if (i == n)
			break;
	}
	return count;
}

bool harness_event_enabled(const char *type)
{
	bool known = false;

	/* Any rule of the event type (it may have several: one per code point it resumes at). */
	for (size_t i = 0; i < harness_adapter.n_rules; i++) {
		const struct step_rule *r = &harness_adapter.rules[i];

		if (strcmp(r->event, type))
			continue;
		known = true;
		if (enabled_instances(r, NULL, NULL, true) > 0)
			return true;
	}
	if (!known)
		harness_fatal("harness_event_enabled: no rule for '%s'", type);
	return false;
}

static void add_enabled(struct hbuf *b)
{
	bool first = true;

	if (!report_enabled)
		return;
	hbuf_add(b, ",\"enabled\":[");
	n_listed = 0;
	for (size_t i = 0; i < harness_adapter.n_rules; i++)
		enabled_instances(&harness_adapter.rules[i], b, &first, false);
	hbuf_add(b, "]");
}

/* ---------- the protocol ---------- */

static void begin_step(void)
{
	hbuf_reset(&outputs);
	hbuf_reset(&log_lines);
	hbuf_reset(&crossed_lines);
	first_output = first_log = first_crossed = true;
}

static void reply_step(void)
{
	kshim_scan();
	hbuf_reset(&reply);
	hbuf_add(&reply, "{\"outputs\":[%s],\"log\":[%s]", outputs.text ? outputs.text : "",
		 log_lines.text ? log_lines.text : "");
	if (report_crossed)
		hbuf_add(&reply, ",\"crossed\":[%s]", crossed_lines.text ? crossed_lines.text : "");
	add_enabled(&reply);
	hbuf_add(&reply, "}\n");
	fputs(reply.text, stdout);
	fflush(stdout);
}

static void reply_refused(const char *why)
{
	hbuf_reset(&reply);
	hbuf_add(&reply, "{\"refused\":");
	hbuf_add_string(&reply, why);
	add_enabled(&reply);
	hbuf_add(&reply, "}\n");
	fputs(reply.text, stdout);
	fflush(stdout);
}

static void reply_error(const char *what)
{
	hbuf_reset(&reply);
	hbuf_add(&reply, "{\"error\":");
	hbuf_add_string(&reply, what);
	hbuf_add(&reply, "}\n");
	fputs(reply.text, stdout);
	fflush(stdout);
}

static void do_reset(const struct hjson *request)
{
	const struct hjson *options = hjson_get(request, "options");
	char bounds_text[4096];
	const char *error;

	/* The bounds outlive the request: parse them again into their own arena. */
	hjson_write(hjson_get(request, "bounds") ?: &(struct hjson){ .type = HJ_OBJECT },
		    bounds_text, sizeof(bounds_text));
	bounds = hjson_parse(&bounds_arena, bounds_text, &error);
	kernel_timers = !strcmp(hjson_str(options, "timers", "model"), "kernel");
	report_crossed = hjson_bool(options, "crossed", false);
	report_enabled = hjson_bool(options, "enabled", false);
	for (size_t i = 0; i < n_contexts; i++)
		kctx_discard(&contexts[i].k);
	n_contexts = 0;
	kshim_reset();
	begin_step();
	harness_adapter.reset(bounds);
	if (harness_adapter.after_step)
		harness_adapter.after_step();
	reply_step();
}

int main(void)
{
	static char line[1 << 16];

	kshim_hooks.log = on_log;
	kshim_hooks.kthread_context = kthread_context;
	printf("{\"harness\":\"mailbox-models-c\",\"version\":1,\"protocol\":\"%s\"}\n",
	       harness_adapter.protocol);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		const char *error = NULL;
		struct hjson *request;
		const char *op;

		if (line[0] == '\n' || !line[0])
			continue;
		request = hjson_parse(&request_arena, line, &error);
		if (!request) {
			reply_error(error);
			continue;
		}
		op = hjson_str(request, "op", "");
		if (!strcmp(op, "reset")) {
			do_reset(request);
		} else if (!strcmp(op, "apply")) {
			const struct hjson *event = hjson_get(request, "event");
			const struct step_rule *r;
			const char *why = NULL;

			begin_step();
			r = enabled_rule_of(event, &why);
			if (!r) {
				reply_refused(why);
				continue;
			}
			perform(r, event);
			reply_step();
		} else {
			reply_error("unknown op");
		}
	}
	return 0;
}
