#include "KiraKernels.h"

/* Blocks of 4 rows × 4 values are transposed in registers (AVX) so that every load and
 * store is a contiguous 4-vector; the scalar loops take the edges and CPUs without AVX.
 * Stored voxels (16-bit integers, floats) are converted to doubles as they are loaded. */

typedef double kira_t4d __attribute__((vector_size(32), aligned(8)));
typedef float kira_t4f __attribute__((vector_size(16), aligned(4)));
typedef short kira_t4s __attribute__((vector_size(8), aligned(2)));

#define LOAD_F64(p) (*(const kira_t4d *)(p))
#define LOAD_F32(p) __builtin_convertvector(*(const kira_t4f *)(p), kira_t4d)
#define LOAD_I16(p) __builtin_convertvector(*(const kira_t4s *)(p), kira_t4d)

#define ROWS_TO_LANES(NAME, T, LOAD)                                                                  \
__attribute__((target("avx"))) static void NAME(const T *rows, long rs, long n, long lanes, double *t) { \
    long l = 0;                                                                                       \
    for (; l + 4 <= lanes; l += 4) {                                                                  \
        const T *r0 = rows + l * rs, *r1 = r0 + rs, *r2 = r1 + rs, *r3 = r2 + rs;                     \
        long i = 0;                                                                                   \
        for (; i + 4 <= n; i += 4) {                                                                  \
            kira_t4d a = LOAD(r0 + i), b = LOAD(r1 + i), c = LOAD(r2 + i), d = LOAD(r3 + i);          \
            kira_t4d ab0 = __builtin_shufflevector(a, b, 0, 4, 2, 6), ab1 = __builtin_shufflevector(a, b, 1, 5, 3, 7); \
            kira_t4d cd0 = __builtin_shufflevector(c, d, 0, 4, 2, 6), cd1 = __builtin_shufflevector(c, d, 1, 5, 3, 7); \
            *(kira_t4d *)(t + (i + 0) * lanes + l) = __builtin_shufflevector(ab0, cd0, 0, 1, 4, 5);  \
            *(kira_t4d *)(t + (i + 1) * lanes + l) = __builtin_shufflevector(ab1, cd1, 0, 1, 4, 5);  \
            *(kira_t4d *)(t + (i + 2) * lanes + l) = __builtin_shufflevector(ab0, cd0, 2, 3, 6, 7);  \
            *(kira_t4d *)(t + (i + 3) * lanes + l) = __builtin_shufflevector(ab1, cd1, 2, 3, 6, 7);  \
        }                                                                                             \
        for (; i < n; i++) {                                                                          \
            t[i * lanes + l] = r0[i]; t[i * lanes + l + 1] = r1[i];                                   \
            t[i * lanes + l + 2] = r2[i]; t[i * lanes + l + 3] = r3[i];                               \
        }                                                                                             \
    }                                                                                                 \
    for (; l < lanes; l++)                                                                            \
        for (long i = 0; i < n; i++) t[i * lanes + l] = rows[l * rs + i];                             \
}

ROWS_TO_LANES(rows_to_lanes_avx, double, LOAD_F64)
ROWS_TO_LANES(rows_to_lanes_f32_avx, float, LOAD_F32)
ROWS_TO_LANES(rows_to_lanes_i16_avx, short, LOAD_I16)

#define STORE_F64(p, v) (*(kira_t4d *)(p) = (v))
#define STORE_F32(p, v) (*(kira_t4f *)(p) = __builtin_convertvector((v), kira_t4f))

#define LANES_TO_ROWS(NAME, T, STORE)                                                                 \
__attribute__((target("avx"))) static void NAME(const double *t, long n, long lanes, T *rows, long rs) { \
    long l = 0;                                                                                       \
    for (; l + 4 <= lanes; l += 4) {                                                                  \
        T *r0 = rows + l * rs, *r1 = r0 + rs, *r2 = r1 + rs, *r3 = r2 + rs;                           \
        long i = 0;                                                                                   \
        for (; i + 4 <= n; i += 4) {                                                                  \
            kira_t4d a = *(const kira_t4d *)(t + (i + 0) * lanes + l), b = *(const kira_t4d *)(t + (i + 1) * lanes + l); \
            kira_t4d c = *(const kira_t4d *)(t + (i + 2) * lanes + l), d = *(const kira_t4d *)(t + (i + 3) * lanes + l); \
            kira_t4d ab0 = __builtin_shufflevector(a, b, 0, 4, 2, 6), ab1 = __builtin_shufflevector(a, b, 1, 5, 3, 7); \
            kira_t4d cd0 = __builtin_shufflevector(c, d, 0, 4, 2, 6), cd1 = __builtin_shufflevector(c, d, 1, 5, 3, 7); \
            STORE(r0 + i, __builtin_shufflevector(ab0, cd0, 0, 1, 4, 5));                             \
            STORE(r1 + i, __builtin_shufflevector(ab1, cd1, 0, 1, 4, 5));                             \
            STORE(r2 + i, __builtin_shufflevector(ab0, cd0, 2, 3, 6, 7));                             \
            STORE(r3 + i, __builtin_shufflevector(ab1, cd1, 2, 3, 6, 7));                             \
        }                                                                                             \
        for (; i < n; i++) {                                                                          \
            r0[i] = (T)t[i * lanes + l]; r1[i] = (T)t[i * lanes + l + 1];                             \
            r2[i] = (T)t[i * lanes + l + 2]; r3[i] = (T)t[i * lanes + l + 3];                         \
        }                                                                                             \
    }                                                                                                 \
    for (; l < lanes; l++)                                                                            \
        for (long i = 0; i < n; i++) rows[l * rs + i] = (T)t[i * lanes + l];                          \
}

LANES_TO_ROWS(lanes_to_rows_avx, double, STORE_F64)
LANES_TO_ROWS(lanes_to_rows_f32_avx, float, STORE_F32)

static int has_avx(void) { return __builtin_cpu_supports("avx"); }

void kira_rows_to_lanes(const double *rows, long row_stride, long first, long n, long lanes, double *t) {
    if (has_avx()) { rows_to_lanes_avx(rows + first, row_stride, n, lanes, t); return; }
    for (long l = 0; l < lanes; l++)
        for (long i = 0; i < n; i++) t[i * lanes + l] = rows[l * row_stride + first + i];
}

void kira_rows_to_lanes_f32(const float *rows, long row_stride, long n, long lanes, double *t) {
    if (has_avx()) { rows_to_lanes_f32_avx(rows, row_stride, n, lanes, t); return; }
    for (long l = 0; l < lanes; l++)
        for (long i = 0; i < n; i++) t[i * lanes + l] = rows[l * row_stride + i];
}

void kira_rows_to_lanes_i16(const short *rows, long row_stride, long n, long lanes, double *t) {
    if (has_avx()) { rows_to_lanes_i16_avx(rows, row_stride, n, lanes, t); return; }
    for (long l = 0; l < lanes; l++)
        for (long i = 0; i < n; i++) t[i * lanes + l] = rows[l * row_stride + i];
}

void kira_lanes_to_rows(const double *t, long n, long lanes, double *rows, long row_stride) {
    if (has_avx()) { lanes_to_rows_avx(t, n, lanes, rows, row_stride); return; }
    for (long l = 0; l < lanes; l++)
        for (long i = 0; i < n; i++) rows[l * row_stride + i] = t[i * lanes + l];
}

void kira_lanes_to_rows_f32(const double *t, long n, long lanes, float *rows, long row_stride) {
    if (has_avx()) { lanes_to_rows_f32_avx(t, n, lanes, rows, row_stride); return; }
    for (long l = 0; l < lanes; l++)
        for (long i = 0; i < n; i++) rows[l * row_stride + i] = (float)t[i * lanes + l];
}

/* Contiguous conversions, 4 values at a time. */
__attribute__((target("avx"))) static void i16_to_f64_avx(const short *s, double *d, long n) {
    long i = 0;
    for (; i + 4 <= n; i += 4) *(kira_t4d *)(d + i) = LOAD_I16(s + i);
    for (; i < n; i++) d[i] = s[i];
}

__attribute__((target("avx"))) static void f32_to_f64_avx(const float *s, double *d, long n) {
    long i = 0;
    for (; i + 4 <= n; i += 4) *(kira_t4d *)(d + i) = LOAD_F32(s + i);
    for (; i < n; i++) d[i] = s[i];
}

__attribute__((target("avx"))) static void f64_to_f32_avx(const double *s, float *d, long n) {
    long i = 0;
    for (; i + 4 <= n; i += 4) STORE_F32(d + i, *(const kira_t4d *)(s + i));
    for (; i < n; i++) d[i] = (float)s[i];
}

void kira_i16_to_f64(const short *src, double *dst, long n) {
    if (has_avx()) { i16_to_f64_avx(src, dst, n); return; }
    for (long i = 0; i < n; i++) dst[i] = src[i];
}

void kira_f32_to_f64(const float *src, double *dst, long n) {
    if (has_avx()) { f32_to_f64_avx(src, dst, n); return; }
    for (long i = 0; i < n; i++) dst[i] = src[i];
}

void kira_f64_to_f32(const double *src, float *dst, long n) {
    if (has_avx()) { f64_to_f32_avx(src, dst, n); return; }
    for (long i = 0; i < n; i++) dst[i] = (float)src[i];
}
