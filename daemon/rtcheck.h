/* rtcheck: marks the calling thread as real-time for the test build's allocation and lock
 * checker (daemon/rtcheck.c, meson -Drtcheck=true).  any thread may call; in normal builds
 * these are empty inline functions. */
#ifndef AUDIOD_RTCHECK_H
#define AUDIOD_RTCHECK_H

#include <stdbool.h>

#ifdef AUDIOD_RTCHECK
/* from now on malloc, calloc, realloc, free, aligned_alloc, posix_memalign and
 * pthread_mutex_lock on this thread print a message and abort() */
void rtcheck_enter(void);
/* this thread may allocate and lock again */
void rtcheck_leave(void);
/* whether this thread is marked */
bool rtcheck_active(void);
#else
static inline void rtcheck_enter(void) {}
static inline void rtcheck_leave(void) {}
static inline bool rtcheck_active(void) { return false; }
#endif

#endif
