/* rtcheck: test-build interposer proving the real-time paths never allocate or lock.
 * defines malloc & co. and pthread_mutex_lock in the executable, so every caller in the
 * process (libpipewire included) reaches them; they forward to the next definition (libc)
 * via dlsym(RTLD_NEXT) and abort when the calling thread has marked itself real-time.
 * any thread. */
#include "rtcheck.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* the mark has to be per thread and reachable from inside malloc, where nothing can be
 * passed in: a thread-local is the only place for it */
static _Thread_local bool rt_marked;

struct rtcheck_real {
	void *(*malloc)(size_t);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void (*free)(void *);
	void *(*aligned_alloc)(size_t, size_t);
	int (*posix_memalign)(void **, size_t, size_t);
	int (*mutex_lock)(pthread_mutex_t *);
};

static struct rtcheck_real real;

/* dlsym may itself allocate before `real` is filled in: serve those few requests from a
 * static arena that is never freed */
static alignas(max_align_t) unsigned char boot_arena[8192];
static size_t boot_used;
static bool resolving;

static void *boot_alloc(size_t size)
{
	size_t n = (size + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);

	if (boot_used + n > sizeof(boot_arena))
		return NULL;
	boot_used += n;
	return memset(boot_arena + boot_used - n, 0, size);
}

static bool is_boot(const void *p)
{
	const unsigned char *c = p;

	return c >= boot_arena && c < boot_arena + sizeof(boot_arena);
}

/* ISO C forbids converting void * to a function pointer; memcpy the address instead */
static void rtcheck_sym(void *fnptr, size_t size, const char *name)
{
	void *addr = dlsym(RTLD_NEXT, name);

	memcpy(fnptr, &addr, size);
}

#define RTCHECK_SYM(field, name) rtcheck_sym(&real.field, sizeof(real.field), name)

static void rtcheck_resolve(void)
{
	if (real.free != NULL || resolving)
		return;
	resolving = true;
	RTCHECK_SYM(malloc, "malloc");
	RTCHECK_SYM(calloc, "calloc");
	RTCHECK_SYM(realloc, "realloc");
	RTCHECK_SYM(aligned_alloc, "aligned_alloc");
	RTCHECK_SYM(posix_memalign, "posix_memalign");
	RTCHECK_SYM(mutex_lock, "pthread_mutex_lock");
	RTCHECK_SYM(free, "free");
	resolving = false;
}

/* resolve before main() starts threads, so the lazy path above never races */
__attribute__((constructor)) static void rtcheck_init(void)
{
	rtcheck_resolve();
}

static void rtcheck_fail(const char *what)
{
	static const char head[] = "rtcheck: ";
	static const char tail[] = " called on a real-time thread\n";
	void *frames[32];
	int n;

	/* unmark first: backtrace() may load libgcc and allocate */
	rt_marked = false;
	if (write(STDERR_FILENO, head, sizeof(head) - 1) < 0 ||
	    write(STDERR_FILENO, what, strlen(what)) < 0 ||
	    write(STDERR_FILENO, tail, sizeof(tail) - 1) < 0)
		abort();
	n = backtrace(frames, 32);
	backtrace_symbols_fd(frames, n, STDERR_FILENO);
	abort();
}

void rtcheck_enter(void)
{
	rt_marked = true;
}

void rtcheck_leave(void)
{
	rt_marked = false;
}

bool rtcheck_active(void)
{
	return rt_marked;
}

void *malloc(size_t size)
{
	if (rt_marked)
		rtcheck_fail("malloc");
	rtcheck_resolve();
	if (real.malloc == NULL)
		return boot_alloc(size);
	return real.malloc(size);
}

void *calloc(size_t n, size_t size)
{
	if (rt_marked)
		rtcheck_fail("calloc");
	rtcheck_resolve();
	if (real.calloc == NULL)
		return size != 0 && n > SIZE_MAX / size ? NULL : boot_alloc(n * size);
	return real.calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	if (rt_marked)
		rtcheck_fail("realloc");
	rtcheck_resolve();
	if (is_boot(p) || real.realloc == NULL) {
		void *q = malloc(size);

		/* the old size is unknown; the arena is zeroed past it, so over-copying is safe
		 * up to the arena's end */
		if (q != NULL && p != NULL) {
			size_t left = (size_t)(boot_arena + sizeof(boot_arena) -
					       (unsigned char *)p);

			memcpy(q, p, size < left ? size : left);
		}
		return q;
	}
	return real.realloc(p, size);
}

void free(void *p)
{
	if (rt_marked)
		rtcheck_fail("free");
	if (p == NULL || is_boot(p))
		return;
	rtcheck_resolve();
	real.free(p);
}

void *aligned_alloc(size_t align, size_t size)
{
	if (rt_marked)
		rtcheck_fail("aligned_alloc");
	rtcheck_resolve();
	return real.aligned_alloc(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	if (rt_marked)
		rtcheck_fail("posix_memalign");
	rtcheck_resolve();
	return real.posix_memalign(out, align, size);
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
	if (rt_marked)
		rtcheck_fail("pthread_mutex_lock");
	rtcheck_resolve();
	return real.mutex_lock(m);
}
