#ifndef KIRA_BLAS_H
#define KIRA_BLAS_H

/* The two OpenBLAS entry points KiraDeep needs, behind plain C signatures (row-major
 * matrices, transposes as 0/1) so that Swift sees no CBLAS enums. */

/* Loads OpenBLAS on first call; 1 when its functions are there, 0 when not (then
 * kira_blas_error() says why). Every other function needs a successful load first. */
int kira_blas_load(void);
const char *kira_blas_error(void);

/* C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, row-major. */
void kira_sgemm(int trans_a, int trans_b, long m, long n, long k, float alpha,
                const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc);

/* Threads OpenBLAS uses inside one call (process-wide). */
void kira_blas_set_threads(int threads);

#endif
