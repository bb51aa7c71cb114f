/* flush denormals to zero (FTZ/DAZ) on the calling thread: the render thread and offline
 * render set it before rendering so decaying filters and reverbs never hit the slow path.
 * any thread; affects only the calling thread's floating-point state. */
#ifndef AUDIOD_DENORMAL_H
#define AUDIOD_DENORMAL_H

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

/* the previous state, to hand back to denormal_restore */
struct denormal_state {
	unsigned long saved;
};

static inline struct denormal_state denormal_flush(void)
{
	struct denormal_state s = { 0 };
#if defined(__SSE__)
	s.saved = _mm_getcsr();
	/* FTZ (bit 15) and DAZ (bit 6) */
	_mm_setcsr((unsigned)s.saved | 0x8040u);
#elif defined(__aarch64__)
	unsigned long fpcr;
	__asm__ __volatile__("mrs %0, fpcr" : "=r"(fpcr));
	s.saved = fpcr;
	/* FZ (bit 24) */
	__asm__ __volatile__("msr fpcr, %0" : : "r"(fpcr | (1ul << 24)));
#endif
	return s;
}

static inline void denormal_restore(struct denormal_state s)
{
#if defined(__SSE__)
	_mm_setcsr((unsigned)s.saved);
#elif defined(__aarch64__)
	__asm__ __volatile__("msr fpcr, %0" : : "r"(s.saved));
#else
	(void)s;
#endif
}

#endif
