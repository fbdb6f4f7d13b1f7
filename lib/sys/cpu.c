/* cpu.c - the one answer to which SIMD kernels this processor runs.
 *
 * A family's kernel for a wider instruction set sits under a target
 * attribute beside its portable twin, and the caller picks one by asking
 * rec_cpu_has.  One question at run time serves every kind of kernel:
 * target_clones compiles one source several ways, which cannot hold the
 * kernels written with intrinsics, and a choice at build time (-march)
 * makes a binary that faults on an older processor (SSE, which every
 * x86-64 processor has, needs no question).  libgcc reads CPUID once
 * before main; the level is worked out from it once and kept. */
#include <pthread.h>

#include "internal.h"

static enum rec_cpu_level level, cap = REC_CPU_AVX512;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void detect(void)
{
	level = REC_CPU_PORTABLE;
#ifdef REC_X86_KERNELS
	/* x86-64-v3, asked feature by feature since clang cannot name the
	 * level: no processor has AVX2, FMA and BMI2 without the rest of
	 * it.  The levels are cumulative. */
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
	    __builtin_cpu_supports("bmi2"))
		level = __builtin_cpu_supports("avx512f") ? REC_CPU_AVX512 : REC_CPU_AVX2;
#endif
}

int rec_cpu_has(enum rec_cpu_level want)
{
	pthread_once(&once, detect);
	return want <= level && want <= cap;
}

void rec_cpu_cap(enum rec_cpu_level most)
{
	cap = most;
}
