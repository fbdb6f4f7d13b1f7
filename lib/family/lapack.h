/* lapack.h - the LAPACK routines rec calls, through the Fortran interface
 * that OpenBLAS exports: a column-major matrix of order n, its lower
 * triangle.  A row-major upper triangle is the same memory.  Each returns
 * LAPACK's info: 0, or > 0 when the matrix is not positive definite. */
#ifndef REC_LAPACK_H
#define REC_LAPACK_H

#include <stddef.h>

/* The trailing length is the hidden one of Fortran's character argument. */
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info,
	     size_t uplo_len);
void spotri_(const char *uplo, const int *n, float *a, const int *lda, int *info,
	     size_t uplo_len);
void sposv_(const char *uplo, const int *n, const int *nrhs, float *a, const int *lda,
	    float *b, const int *ldb, int *info, size_t uplo_len);

/* a = L L^T, L into a's lower triangle. */
static inline int rec_cholesky(float *a, int n)
{
	int info;

	spotrf_("L", &n, a, &n, &info, 1);
	return info;
}

/* a, factored by rec_cholesky, to the lower triangle of its inverse. */
static inline int rec_cholesky_inverse(float *a, int n)
{
	int info;

	spotri_("L", &n, a, &n, &info, 1);
	return info;
}

/* Solve a x = b into b; a is left factored. */
static inline int rec_cholesky_solve(float *a, int n, float *b)
{
	int one = 1, info;

	sposv_("L", &n, &one, a, &n, b, &n, &info, 1);
	return info;
}

#endif
