#include "KiraKernels.h"

/* Blocks of 4 rows × 4 values are transposed in registers (AVX) so that every load and
 * store is a contiguous 4-vector; the scalar loops take the edges and CPUs without AVX. */

typedef double kira_t4d __attribute__((vector_size(32), aligned(8)));

__attribute__((target("avx"))) static void rows_to_lanes_avx(const double *rows, long rs, long n, long lanes, double *t) {
    long l = 0;
    for (; l + 4 <= lanes; l += 4) {
        const double *r0 = rows + l * rs, *r1 = r0 + rs, *r2 = r1 + rs, *r3 = r2 + rs;
        long i = 0;
        for (; i + 4 <= n; i += 4) {
            kira_t4d a = *(const kira_t4d *)(r0 + i), b = *(const kira_t4d *)(r1 + i);
            kira_t4d c = *(const kira_t4d *)(r2 + i), d = *(const kira_t4d *)(r3 + i);
            kira_t4d ab0 = __builtin_shufflevector(a, b, 0, 4, 2, 6), ab1 = __builtin_shufflevector(a, b, 1, 5, 3, 7);
            kira_t4d cd0 = __builtin_shufflevector(c, d, 0, 4, 2, 6), cd1 = __builtin_shufflevector(c, d, 1, 5, 3, 7);
            *(kira_t4d *)(t + (i + 0) * lanes + l) = __builtin_shufflevector(ab0, cd0, 0, 1, 4, 5);
            *(kira_t4d *)(t + (i + 1) * lanes + l) = __builtin_shufflevector(ab1, cd1, 0, 1, 4, 5);
            *(kira_t4d *)(t + (i + 2) * lanes + l) = __builtin_shufflevector(ab0, cd0, 2, 3, 6, 7);
            *(kira_t4d *)(t + (i + 3) * lanes + l) = __builtin_shufflevector(ab1, cd1, 2, 3, 6, 7);
        }
        for (; i < n; i++) {
            t[i * lanes + l] = r0[i]; t[i * lanes + l + 1] = r1[i];
            t[i * lanes + l + 2] = r2[i]; t[i * lanes + l + 3] = r3[i];
        }
    }
    for (; l < lanes; l++)
        for (long i = 0; i < n; i++) t[i * lanes + l] = rows[l * rs + i];
}

__attribute__((target("avx"))) static void lanes_to_rows_avx(const double *t, long n, long lanes, double *rows, long rs) {
    long l = 0;
    for (; l + 4 <= lanes; l += 4) {
        double *r0 = rows + l * rs, *r1 = r0 + rs, *r2 = r1 + rs, *r3 = r2 + rs;
        long i = 0;
        for (; i + 4 <= n; i += 4) {
            kira_t4d a = *(const kira_t4d *)(t + (i + 0) * lanes + l), b = *(const kira_t4d *)(t + (i + 1) * lanes + l);
            kira_t4d c = *(const kira_t4d *)(t + (i + 2) * lanes + l), d = *(const kira_t4d *)(t + (i + 3) * lanes + l);
            kira_t4d ab0 = __builtin_shufflevector(a, b, 0, 4, 2, 6), ab1 = __builtin_shufflevector(a, b, 1, 5, 3, 7);
            kira_t4d cd0 = __builtin_shufflevector(c, d, 0, 4, 2, 6), cd1 = __builtin_shufflevector(c, d, 1, 5, 3, 7);
            *(kira_t4d *)(r0 + i) = __builtin_shufflevector(ab0, cd0, 0, 1, 4, 5);
            *(kira_t4d *)(r1 + i) = __builtin_shufflevector(ab1, cd1, 0, 1, 4, 5);
            *(kira_t4d *)(r2 + i) = __builtin_shufflevector(ab0, cd0, 2, 3, 6, 7);
            *(kira_t4d *)(r3 + i) = __builtin_shufflevector(ab1, cd1, 2, 3, 6, 7);
        }
        for (; i < n; i++) {
            r0[i] = t[i * lanes + l]; r1[i] = t[i * lanes + l + 1];
            r2[i] = t[i * lanes + l + 2]; r3[i] = t[i * lanes + l + 3];
        }
    }
    for (; l < lanes; l++)
        for (long i = 0; i < n; i++) rows[l * rs + i] = t[i * lanes + l];
}

static int has_avx(void) { return __builtin_cpu_supports("avx"); }

void kira_rows_to_lanes(const double *rows, long row_stride, long first, long n, long lanes, double *t) {
    if (has_avx()) { rows_to_lanes_avx(rows + first, row_stride, n, lanes, t); return; }
    for (long l = 0; l < lanes; l++)
        for (long i = 0; i < n; i++) t[i * lanes + l] = rows[l * row_stride + first + i];
}

void kira_lanes_to_rows(const double *t, long n, long lanes, double *rows, long row_stride) {
    if (has_avx()) { lanes_to_rows_avx(t, n, lanes, rows, row_stride); return; }
    for (long l = 0; l < lanes; l++)
        for (long i = 0; i < n; i++) rows[l * row_stride + i] = t[i * lanes + l];
}

void kira_lanes_to_rows_f32(const double *t, long n, long lanes, float *rows, long row_stride) {
    for (long l = 0; l < lanes; l++) {
        float *r = rows + l * row_stride;
        for (long i = 0; i < n; i++) r[i] = (float)t[i * lanes + l];
    }
}
