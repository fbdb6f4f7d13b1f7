/* threads.c - the one owner of the thread counts.  rec_threads sets how
 * many threads OpenMP and OpenBLAS may use; nothing else in the library
 * sets them for good.  A parallel region whose threads call BLAS runs it
 * on one thread for the region's length, through rec_blas_serial and
 * rec_blas_restore, so that the two kinds of threads do not multiply;
 * the pairs nest, so a region inside another leaves BLAS serial. */
#include <cblas.h>
#include <omp.h>
#include <unistd.h>

#include "internal.h"

int rec_threads(int n)
{
	if (n <= 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		n = cpus > 0 ? (int)cpus : 1;
	}
	omp_set_num_threads(n);
	openblas_set_num_threads(n);
	return n;
}

int rec_blas_serial(void)
{
	int threads = openblas_get_num_threads();

	openblas_set_num_threads(1);
	return threads;
}

void rec_blas_restore(int threads)
{
	openblas_set_num_threads(threads);
}

/* One user's products and solves take microseconds: waking other threads
 * for them costs more than it saves, and far more when another job holds
 * a core and a woken thread waits for its turn on one. */
void rec_threads_one(struct rec_thread_counts *saved)
{
	saved->omp = omp_get_max_threads();
	saved->blas = rec_blas_serial();
	omp_set_num_threads(1);
}

void rec_threads_back(const struct rec_thread_counts *saved)
{
	omp_set_num_threads(saved->omp);
	rec_blas_restore(saved->blas);
}
