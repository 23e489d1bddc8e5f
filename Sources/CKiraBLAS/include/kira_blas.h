#ifndef KIRA_BLAS_H
#define KIRA_BLAS_H

/* The two OpenBLAS entry points KiraDeep needs, behind plain C signatures (row-major
 * matrices, transposes as 0/1) so that Swift sees no CBLAS enums and no header search for
 * Debian's alternatives-managed cblas.h is needed. */

/* C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, row-major. */
void kira_sgemm(int trans_a, int trans_b, long m, long n, long k, float alpha,
                const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc);

/* Threads OpenBLAS uses inside one call (process-wide). */
void kira_blas_set_threads(int threads);
int kira_blas_threads(void);

#endif
