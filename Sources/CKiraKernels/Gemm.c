#include "KiraKernels.h"

#include <immintrin.h>
#include <stdlib.h>

/* Single-precision C = A·B for the networks' convolutions, A being weights packed once at
 * load. Debian's OpenBLAS packs A on every call and loses a quarter of its speed on the 7×7
 * layers (N = 49 columns); a 6×16 register tile with an 8-wide edge tile keeps both busy.
 * Blocking: a KC-deep slice of B, NC columns wide, is packed into 16-column panels and stays
 * in L2; one 16-column panel stays in L1 while MC rows of A stream past it. */
enum { MR = 6, NR = 16, KC = 256, NC = 384, MC = 72 };

int kira_gemm_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

long kira_gemm_packed_size(long m, long k) { return (m + MR - 1) / MR * MR * k; }

void kira_gemm_pack_a(const float *a, long lda, long m, long k, float *packed) {
    for (long p = 0; p < m; p += MR)
        for (long kk = 0; kk < k; kk++)
            for (long r = 0; r < MR; r++) *packed++ = p + r < m ? a[(p + r) * lda + kk] : 0.0f;
}

/* Rows of the B slice in panels of NR columns, zero past the last column. */
__attribute__((target("avx2,fma")))
static void pack_b(const float *b, long ldb, long kc, long nc, float *dst) {
    for (long j = 0; j < nc; j += NR) {
        long w = nc - j < NR ? nc - j : NR;
        const float *src = b + j;
        if (w == NR) {
            for (long kk = 0; kk < kc; kk++, dst += NR) {
                _mm256_store_ps(dst, _mm256_loadu_ps(src + kk * ldb));
                _mm256_store_ps(dst + 8, _mm256_loadu_ps(src + kk * ldb + 8));
            }
        } else {
            for (long kk = 0; kk < kc; kk++, dst += NR) {
                long q = 0;
                for (; q < w; q++) dst[q] = src[kk * ldb + q];
                for (; q < NR; q++) dst[q] = 0;
            }
        }
    }
}

/* y·scale + shift (a multiply, then an add, as the Concat it stands for does), then
 * y > 0 ? y : 0 when relu, so that NaN becomes 0 as in every other ReLU. */
__attribute__((target("avx2,fma"), always_inline))
static inline __m256 normalise(__m256 v, __m256 scale, __m256 shift, int relu) {
    v = _mm256_add_ps(_mm256_mul_ps(v, scale), shift);
    return relu ? _mm256_and_ps(v, _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GT_OQ)) : v;
}

/* The same panels from rows kk0 ..< kk0 + kc of `rows`, columns j0 ..< j0 + nc, each row
 * normalised. The rows are separate planes, mostly out of cache: each is read from start to
 * end, and the next row's lines are fetched meanwhile, where panel by panel every 16 values
 * would wait for memory. */
__attribute__((target("avx2,fma")))
static void pack_rows(const KiraGemmRows *rows, long kk0, long j0, long kc, long nc, float *dst) {
    long full = nc / NR, w = nc % NR;
    for (long kk = 0; kk < kc; kk++) {
        const float *src = rows->rows[kk0 + kk] + j0;
        if (kk + 1 < kc)
            for (long q = 0; q < nc; q += 16) _mm_prefetch((const char *)(rows->rows[kk0 + kk + 1] + j0 + q), _MM_HINT_T0);
        __m256 s = _mm256_set1_ps(rows->scale ? rows->scale[kk0 + kk] : 1.0f);
        __m256 t = _mm256_set1_ps(rows->scale ? rows->shift[kk0 + kk] : 0.0f);
        float *d = dst + kk * NR;
        for (long j = 0; j < full; j++, src += NR, d += kc * NR) {
            _mm256_store_ps(d, normalise(_mm256_loadu_ps(src), s, t, rows->relu));
            _mm256_store_ps(d + 8, normalise(_mm256_loadu_ps(src + 8), s, t, rows->relu));
        }
        if (w) {
            /* Columns past the last stay zero whatever the shift. */
            float v[NR] __attribute__((aligned(32))) = {0};
            for (long q = 0; q < w; q++) v[q] = src[q];
            _mm256_store_ps(v, normalise(_mm256_load_ps(v), s, t, rows->relu));
            _mm256_store_ps(v + 8, normalise(_mm256_load_ps(v + 8), s, t, rows->relu));
            for (long q = 0; q < NR; q++) d[q] = q < w ? v[q] : 0.0f;
        }
    }
}

/* How a tile's sums reach C: the first K slice adds the bias, then C itself when
 * accumulating (a residual already there); later slices add C; the last applies the ReLU. */
typedef struct { const float *bias; int load_c, relu; } Store;

__attribute__((target("avx2,fma")))
static inline __m256 finish(__m256 v, const float *p, const Store *s, long row) {
    if (s->bias) v = _mm256_add_ps(v, _mm256_broadcast_ss(s->bias + row));
    if (s->load_c) v = _mm256_add_ps(v, _mm256_loadu_ps(p));
    if (s->relu) v = _mm256_max_ps(v, _mm256_setzero_ps());
    return v;
}

__attribute__((target("avx2,fma")))
static void store_tile(const __m256 *acc, int per_row, float *c, long ldc, long rows, long cols, const Store *s) {
    float t[8] __attribute__((aligned(32)));
    for (long r = 0; r < rows; r++) {
        float *p = c + r * ldc;
        for (int h = 0; h < per_row; h++, p += 8) {
            long w = cols - 8 * h;
            if (w >= 8) { _mm256_storeu_ps(p, finish(acc[r * per_row + h], p, s, r)); continue; }
            if (w <= 0) break;
            _mm256_store_ps(t, acc[r * per_row + h]);
            for (long q = 0; q < w; q++) {
                float v = t[q];
                if (s->bias) v += s->bias[r];
                if (s->load_c) v += p[q];
                p[q] = s->relu && !(v > 0) ? 0.0f : v;
            }
        }
    }
}

/* A tile of R rows (R ≤ MR, a compile-time constant in each caller below, so the loops
 * unroll and the sums stay in registers) by W = 8 or 16 columns. The last panel of rows takes
 * the smallest R that covers it: DenseNet's 32-channel convolutions would otherwise compute
 * 36 rows. */
__attribute__((target("avx2,fma"), always_inline))
static inline void tile(const int R, const int W, long kc, const float *a, const float *b, float *c, long ldc,
                        long rows, long cols, const Store *s) {
    __m256 acc[2 * MR];
    for (int i = 0; i < 2 * R; i++) acc[i] = _mm256_setzero_ps();
#pragma clang loop unroll_count(4)
    for (long kk = 0; kk < kc; kk++, a += MR, b += NR) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = W == 16 ? _mm256_loadu_ps(b + 8) : b0;
        for (int r = 0; r < R; r++) {
            __m256 x = _mm256_broadcast_ss(a + r);
            acc[2 * r] = _mm256_fmadd_ps(x, b0, acc[2 * r]);
            if (W == 16) acc[2 * r + 1] = _mm256_fmadd_ps(x, b1, acc[2 * r + 1]);
        }
    }
    store_tile(acc, 2, c, ldc, rows, cols, s);
}

typedef void (*TileFn)(long, const float *, const float *, float *, long, long, long, const Store *);
#define TILE(R, W)                                                                                          \
    __attribute__((target("avx2,fma"))) static void tile_##R##x##W(long kc, const float *a, const float *b, \
                                                                   float *c, long ldc, long rows, long cols, \
                                                                   const Store *s) {                      \
        tile(R, W, kc, a, b, c, ldc, rows, cols, s);                                                      \
    }
TILE(6, 16) TILE(4, 16) TILE(2, 16) TILE(6, 8) TILE(4, 8) TILE(2, 8)

/* tiles[w][r]: w = 1 for more than 8 columns, r = rows to cover − 1. */
static const TileFn tiles[2][MR] = {
    {tile_2x8, tile_2x8, tile_4x8, tile_4x8, tile_6x8, tile_6x8},
    {tile_2x16, tile_2x16, tile_4x16, tile_4x16, tile_6x16, tile_6x16},
};

/* One B slice per thread, kept for the thread's life: convolutions call this thousands of
 * times per crop. */
static _Thread_local float *slice;

__attribute__((target("avx2,fma")))
static void gemm(const float *packed_a, long m, long k, const float *b, long ldb, const KiraGemmRows *rows, long n,
                 const float *bias, float *c, long ldc, int accumulate, int relu) {
    if (!slice) slice = aligned_alloc(64, sizeof(float) * KC * (NC + NR));
    for (long jc = 0; jc < n; jc += NC) {
        long nc = n - jc < NC ? n - jc : NC;
        for (long pc = 0; pc < k; pc += KC) {
            long kc = k - pc < KC ? k - pc : KC;
            if (rows) pack_rows(rows, pc, jc, kc, nc, slice);
            else pack_b(b + pc * ldb + jc, ldb, kc, nc, slice);
            Store s = {pc == 0 ? bias : NULL, accumulate || pc > 0, relu && pc + kc == k};
            for (long ic = 0; ic < m; ic += MC) {
                long iend = m - ic < MC ? m : ic + MC;
                for (long j = 0; j < nc; j += NR) {
                    long cols = nc - j < NR ? nc - j : NR;
                    for (long i = ic; i < iend; i += MR) {
                        const float *ap = packed_a + i * k + pc * MR;
                        long height = m - i < MR ? m - i : MR;
                        Store si = s;
                        if (si.bias) si.bias += i;
                        tiles[cols > 8][height - 1](kc, ap, slice + j * kc, c + i * ldc + jc + j, ldc, height, cols, &si);
                    }
                }
            }
        }
    }
}

void kira_gemm_packed(const float *packed_a, long m, long k, const float *b, long ldb, long n,
                      const float *bias, float *c, long ldc, int accumulate, int relu) {
    gemm(packed_a, m, k, b, ldb, NULL, n, bias, c, ldc, accumulate, relu);
}

void kira_gemm_packed_rows(const float *packed_a, long m, long k, const KiraGemmRows *b, long n,
                           const float *bias, float *c, long ldc, int accumulate, int relu) {
    gemm(packed_a, m, k, NULL, 0, b, n, bias, c, ldc, accumulate, relu);
}
