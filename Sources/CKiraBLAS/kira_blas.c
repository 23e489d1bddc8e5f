#include "kira_blas.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

/* OpenBLAS is opened when a network is first loaded, not linked: linked, every kira command
 * would pay for loading it and for the thread pool it starts, though only `kira deep` uses
 * it. The CBLAS enum values are the standard's. */
enum { KiraRowMajor = 101, KiraNoTrans = 111, KiraTrans = 112 };
typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
typedef void (*threads_fn)(int);

static sgemm_fn sgemm;
static threads_fn set_threads;
static char load_error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    const char *names[] = {"libopenblas.so.0", "libopenblas.so"};
    void *lib = NULL;
    for (unsigned i = 0; i < sizeof names / sizeof *names && !lib; i++) lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(load_error, sizeof load_error, "cannot load OpenBLAS (libopenblas.so.0; Debian package libopenblas0): %s", dlerror());
        return;
    }
    sgemm = (sgemm_fn)dlsym(lib, "cblas_sgemm");
    set_threads = (threads_fn)dlsym(lib, "openblas_set_num_threads");
    if (!sgemm || !set_threads) snprintf(load_error, sizeof load_error, "OpenBLAS lacks cblas_sgemm or openblas_set_num_threads");
}

int kira_blas_load(void) {
    pthread_once(&once, load);
    return sgemm && set_threads;
}

const char *kira_blas_error(void) { return load_error; }

void kira_sgemm(int trans_a, int trans_b, long m, long n, long k, float alpha,
                const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc) {
    sgemm(KiraRowMajor, trans_a ? KiraTrans : KiraNoTrans, trans_b ? KiraTrans : KiraNoTrans,
          (int)m, (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

/* A network whose products all run on Kira's own SGEMM never loads OpenBLAS. */
void kira_blas_set_threads(int threads) {
    if (set_threads) set_threads(threads);
}
