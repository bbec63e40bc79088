// SPDX-License-Identifier: MIT
/* The self-test driver's table: each event is one call or one action of the environment. */
#include "../runner/adapter.h"

#ifndef HARNESS_SEED
#define HARNESS_SEED "selftest.c"
#endif
#include HARNESS_SEED

static long entry_hold(const struct hjson *ev)
{
	(void)ev;
	return hold_and_sleep();
}

static long entry_take(const struct hjson *ev)
{
	(void)ev;
	return take_lock();
}

static long entry_flush(const struct hjson *ev)
{
	(void)ev;
	return flush();
}

static long entry_spin_sleep(const struct hjson *ev)
{
	(void)ev;
	return sleep_under_spinlock();
}

static long entry_isleep(const struct hjson *ev)
{
	(void)ev;
	return sleep_interruptible();
}

static long entry_ilock(const struct hjson *ev)
{
	(void)ev;
	return lock_interruptible();
}

static long entry_iwait(const struct hjson *ev)
{
	(void)ev;
	return wait_gate_interruptible();
}

/* A signal to the task in context `to` (e, f or g). */
static void signal_to(const struct hjson *ev)
{
	kshim_send_signal(harness_context(hjson_str(ev, "to", ""), -1));
}

static void set_flag(const struct hjson *ev)
{
	(void)ev;
	flag = 1;
	wake_up(&wq);
}

static void open_gate(const struct hjson *ev)
{
	(void)ev;
	complete(&gate);
}

static void arm(const struct hjson *ev)
{
	emit("armed", "\"queued\":%s",
	     schedule_delayed_work(&dwork, (unsigned long)hjson_int(ev, "delay", 1)) ? "true"
											: "false");
}

static void rearm(const struct hjson *ev)
{
	emit("rearmed", "\"was_pending\":%s",
	     mod_delayed_work(system_wq, &dwork, (unsigned long)hjson_int(ev, "delay", 1)) ?
		     "true" : "false");
}

static void tick(const struct hjson *ev)
{
	(void)ev;
	kshim_clock_advance(1);
}

static struct work_struct *the_work(const struct hjson *ev)
{
	(void)ev;
	return &dwork.work;
}

static void returned(int index, long result)
{
	(void)index;
	emit("returned", "\"result\":%ld", result);
}

static void reset(const struct hjson *bounds)
{
	(void)bounds;
	mutex_init(&big_lock);
	spin_lock_init(&little_lock);
	init_waitqueue_head(&wq);
	init_completion(&gate);
	flag = 0;
	INIT_DELAYED_WORK(&dwork, dwork_fn);
}

#define DELAY { { "delay", PAY_INDEX, "delays" } }

static const struct step_rule rules[] = {
	{ .event = "hold", .action = RULE_START, .context = "a", .entry = entry_hold },
	{ .event = "take", .action = RULE_START, .context = "b", .entry = entry_take },
	{ .event = "run_a", .action = RULE_RESUME, .context = "a", .at = ~0u },
	{ .event = "run_b", .action = RULE_RESUME, .context = "b", .at = ~0u },
	{ .event = "set_flag", .action = RULE_ENV, .act = set_flag },
	{ .event = "open_gate", .action = RULE_ENV, .act = open_gate },
	{ .event = "arm", .action = RULE_ENV, .payload = DELAY, .act = arm },
	{ .event = "rearm", .action = RULE_ENV, .payload = DELAY, .act = rearm },
	{ .event = "tick", .action = RULE_ENV, .act = tick },
	{ .event = "work", .action = RULE_WORK, .context = "worker", .work = the_work,
	  .delayed = true },
	{ .event = "run_worker", .action = RULE_RESUME, .context = "worker", .at = ~0u },
	{ .event = "flush", .action = RULE_START, .context = "c", .entry = entry_flush },
	{ .event = "run_c", .action = RULE_RESUME, .context = "c", .at = ~0u },
	{ .event = "spin_sleep", .action = RULE_START, .context = "d", .entry = entry_spin_sleep },
	{ .event = "isleep", .action = RULE_START, .context = "e", .entry = entry_isleep },
	{ .event = "ilock", .action = RULE_START, .context = "f", .entry = entry_ilock },
	{ .event = "iwait", .action = RULE_START, .context = "g", .entry = entry_iwait },
	{ .event = "run_e", .action = RULE_RESUME, .context = "e", .at = ~0u },
	{ .event = "run_f", .action = RULE_RESUME, .context = "f", .at = ~0u },
	{ .event = "run_g", .action = RULE_RESUME, .context = "g", .at = ~0u },
	{ .event = "signal", .action = RULE_ENV, .payload = { { "to", PAY_ENUM, "e|f|g" } },
	  .act = signal_to },
};

static const struct context_rule contexts[] = {
	{ .context = "a", .finished = returned },
	{ .context = "b", .finished = returned },
	{ .context = "c", .finished = returned },
	{ .context = "d", .finished = returned },
	{ .context = "e", .finished = returned },
	{ .context = "f", .finished = returned },
	{ .context = "g", .finished = returned },
	{ .context = "worker" },
};

const struct harness_adapter harness_adapter = {
	.protocol = "selftest",
	.rules = rules,
	.n_rules = ARRAY_SIZE(rules),
	.contexts = contexts,
	.n_contexts = ARRAY_SIZE(contexts),
	.reset = reset,
};
