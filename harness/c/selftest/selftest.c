/*
 * A small driver that exercises the shim's kernel semantics for test/c-harness-shim.test.ts:
 * a mutex held across a sleep, wait_event and wake_up, a delayed work and its timer,
 * mod_delayed_work, flush_work waiting for a running work, a sleep under a spinlock, and the
 * interruptible waits a signal ends.
 */
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

static DEFINE_MUTEX(big_lock);
static DEFINE_SPINLOCK(little_lock);
static wait_queue_head_t wq;
static int flag;
static struct completion gate;
static struct delayed_work dwork;

/* Holds big_lock across a sleep on wq (a mutex holder may sleep). */
static long hold_and_sleep(void)
{
	mutex_lock(&big_lock);
	wait_event(wq, flag != 0);
	mutex_unlock(&big_lock);
	return 1;
}

static long take_lock(void)
{
	mutex_lock(&big_lock);
	mutex_unlock(&big_lock);
	return 2;
}

/* The work waits at the gate: flush_work must wait for it. */
static void dwork_fn(struct work_struct *work)
{
	wait_for_completion(&gate);
}

static long flush(void)
{
	return flush_work(&dwork.work);
}

/* A bug the kernel reports: sleeping with a spinlock held. */
static long sleep_under_spinlock(void)
{
	spin_lock(&little_lock);
	wait_for_completion(&gate);
	spin_unlock(&little_lock);
	return 0;
}

/* Interruptible waits: each returns what the wait returned (0, -ERESTARTSYS, -EINTR). */
static long sleep_interruptible(void)
{
	return wait_event_interruptible(wq, flag != 0);
}

static long lock_interruptible(void)
{
	long rc = mutex_lock_interruptible(&big_lock);

	if (!rc)
		mutex_unlock(&big_lock);
	return rc;
}

static long wait_gate_interruptible(void)
{
	return wait_for_completion_interruptible(&gate);
}
