#include "KiraKernels.h"

/* The Swift filter rounds every product and sum separately; a fused multiply-add would
 * round once and break bit-equality with it (and with ITK). */
#pragma clang fp contract(off)

typedef double kira_v8d __attribute__((vector_size(64), aligned(8)));
typedef float kira_v8f __attribute__((vector_size(32)));
typedef double kira_v4d __attribute__((vector_size(32), aligned(8)));
typedef float kira_v4f __attribute__((vector_size(16)));

#define RL_NAME kira_rl_avx512
#define RL_ATTR __attribute__((target("avx512f")))
#define RL_W 8
#define RL_V kira_v8d
#define RL_F kira_v8f
#include "RecursiveLanesBody.inc"
#undef RL_NAME
#undef RL_ATTR
#undef RL_W
#undef RL_V
#undef RL_F

#define RL_NAME kira_rl_avx
#define RL_ATTR __attribute__((target("avx")))
#define RL_W 4
#define RL_V kira_v4d
#define RL_F kira_v4f
#include "RecursiveLanesBody.inc"

int kira_recursive_vector_width(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 8;
    if (__builtin_cpu_supports("avx")) return 4;
    return 0;
}

void kira_recursive_lanes(int width, const KiraRecursiveCoefficients *c,
                          const double *p, long lanes, long stride, long n,
                          double *out, long out_stride, long keep_lo, long keep_hi,
                          double *scratch, int round_to_float) {
    if (width >= 8)
        kira_rl_avx512(c, p, lanes, stride, n, out, out_stride, keep_lo, keep_hi, scratch, round_to_float);
    else
        kira_rl_avx(c, p, lanes, stride, n, out, out_stride, keep_lo, keep_hi, scratch, round_to_float);
}
