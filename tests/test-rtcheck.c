/* tests for daemon/rtcheck, the test-build checker behind the real-time safety proof:
 * a thread marked real-time that allocates, frees or locks a mutex dies with SIGABRT;
 * unmarked threads, and marked ones after rtcheck_leave, are untouched.  each forbidden
 * call runs in a forked child so the abort can be observed. */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/rtcheck.h"

/* keeps the compiler from eliding a malloc/free pair */
static void *volatile sink;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* runs fn in a child with stderr silenced; returns the wait status */
static int run_child(void (*fn)(void))
{
	pid_t pid = fork();
	int status = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, STDERR_FILENO);
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void assert_aborted(int status)
{
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void assert_exited_cleanly(int status)
{
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void do_rt_malloc(void) { rtcheck_enter(); sink = malloc(16); }
static void do_rt_calloc(void) { rtcheck_enter(); sink = calloc(4, 4); }
static void do_rt_realloc(void) { sink = malloc(16); rtcheck_enter(); sink = realloc(sink, 64); }
static void do_rt_free(void) { sink = malloc(16); rtcheck_enter(); free(sink); }
static void do_rt_aligned(void) { rtcheck_enter(); sink = aligned_alloc(64, 64); }
static void do_rt_lock(void) { rtcheck_enter(); pthread_mutex_lock(&lock); }
static void do_left(void)
{
	rtcheck_enter();
	rtcheck_leave();
	sink = malloc(16);
	free(sink);
	pthread_mutex_lock(&lock);
	pthread_mutex_unlock(&lock);
}

static void malloc_on_a_real_time_thread_aborts(void **state)
{
	assert_aborted(run_child(do_rt_malloc));
}

static void calloc_realloc_and_aligned_alloc_on_a_real_time_thread_abort(void **state)
{
	assert_aborted(run_child(do_rt_calloc));
	assert_aborted(run_child(do_rt_realloc));
	assert_aborted(run_child(do_rt_aligned));
}

static void free_on_a_real_time_thread_aborts(void **state)
{
	assert_aborted(run_child(do_rt_free));
}

static void mutex_lock_on_a_real_time_thread_aborts(void **state)
{
	assert_aborted(run_child(do_rt_lock));
}

static void leaving_real_time_allows_allocation_and_locks_again(void **state)
{
	assert_exited_cleanly(run_child(do_left));
}

static void unmarked_threads_allocate_and_lock_normally(void **state)
{
	void *p = malloc(32);

	assert_non_null(p);
	p = realloc(p, 4096);
	assert_non_null(p);
	free(p);
	assert_int_equal(pthread_mutex_lock(&lock), 0);
	pthread_mutex_unlock(&lock);
	assert_false(rtcheck_active());
}

static void *marked_thread(void *data)
{
	rtcheck_enter();
	/* sleep without allocating while the main thread allocates */
	usleep(20000);
	/* thread exit frees thread-local storage: real-time threads unmark before leaving */
	rtcheck_leave();
	return NULL;
}

static void do_other_thread_marked(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, marked_thread, NULL) != 0)
		_exit(2);
	usleep(5000);
	sink = malloc(64);
	free(sink);
	pthread_join(t, NULL);
}

static void the_mark_belongs_to_one_thread_only(void **state)
{
	assert_exited_cleanly(run_child(do_other_thread_marked));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(malloc_on_a_real_time_thread_aborts),
		cmocka_unit_test(calloc_realloc_and_aligned_alloc_on_a_real_time_thread_abort),
		cmocka_unit_test(free_on_a_real_time_thread_aborts),
		cmocka_unit_test(mutex_lock_on_a_real_time_thread_aborts),
		cmocka_unit_test(leaving_real_time_allows_allocation_and_locks_again),
		cmocka_unit_test(unmarked_threads_allocate_and_lock_normally),
		cmocka_unit_test(the_mark_belongs_to_one_thread_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
