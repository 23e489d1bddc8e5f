#include "kira_blas.h"

/* Declared here rather than by including <cblas.h>: Debian installs that header through
 * update-alternatives, which is not there until the package is configured. The enum values
 * are CBLAS's published ones. */
enum { KiraRowMajor = 101, KiraNoTrans = 111, KiraTrans = 112 };
extern void cblas_sgemm(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
                        const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);
extern void openblas_set_num_threads(int threads);
extern int openblas_get_num_threads(void);

void kira_sgemm(int trans_a, int trans_b, long m, long n, long k, float alpha,
                const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc) {
    cblas_sgemm(KiraRowMajor, trans_a ? KiraTrans : KiraNoTrans, trans_b ? KiraTrans : KiraNoTrans,
                (int)m, (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

void kira_blas_set_threads(int threads) { openblas_set_num_threads(threads); }

int kira_blas_threads(void) { return openblas_get_num_threads(); }
