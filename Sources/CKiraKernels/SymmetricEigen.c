#include "KiraKernels.h"
#include <math.h>
#include <float.h>

/* No fused multiply-adds: the AVX build must round exactly as the plain one, so results do
 * not depend on the CPU. The vectorised loops have no reductions (each lane is its own sum
 * in the same order), which keeps them bit-identical to the scalar loops. */
#pragma clang fp contract(off)

static inline __attribute__((always_inline)) void gram_body(const double *restrict m, double *restrict mt,
                                                            long n, double *restrict s) {
    for (long i = 0; i < n; i++)
        for (long k = 0; k < n; k++) mt[k * n + i] = m[i * n + k];
    for (long i = 0; i < n * n; i++) s[i] = 0;
    for (long i = 0; i < n; i++) {
        double *restrict row = s + i * n;
        for (long k = 0; k < n; k++) {
            const double x = m[i * n + k];
            const double *restrict col = mt + k * n;
            for (long j = i; j < n; j++) row[j] += x * col[j];
        }
        for (long j = i + 1; j < n; j++) s[j * n + i] = row[j];
    }
}

/* Householder reduction of the symmetric matrix a (both triangles) to tridiagonal form:
 * d gets the diagonal, e[1...] the subdiagonal. */
static inline __attribute__((always_inline)) void tridiagonal_body(double *restrict a, long n,
                                                                   double *restrict d, double *restrict e) {
    for (long i = n - 1; i > 0; i--) {
        const long l = i - 1;
        double *restrict u = a + i * n;
        double h = 0;
        if (l > 0) {
            double scale = 0;
            for (long k = 0; k <= l; k++) scale += fabs(u[k]);
            if (scale == 0) {
                e[i] = u[l];
            } else {
                for (long k = 0; k <= l; k++) { u[k] /= scale; h += u[k] * u[k]; }
                const double f = u[l];
                const double g = f >= 0 ? -sqrt(h) : sqrt(h);
                e[i] = scale * g;
                h -= f * g;
                u[l] = f - g;
                /* p = A·u over whole rows of the leading block (it is symmetric), each p[j]
                 * summing its terms in k order. */
                for (long j = 0; j <= l; j++) e[j] = 0;
                for (long k = 0; k <= l; k++) {
                    const double uk = u[k];
                    const double *restrict row = a + k * n;
                    for (long j = 0; j <= l; j++) e[j] += row[j] * uk;
                }
                double ff = 0;
                for (long j = 0; j <= l; j++) {
                    e[j] /= h;
                    ff += e[j] * u[j];
                }
                const double hh = ff / (h + h);
                for (long j = 0; j <= l; j++) e[j] -= hh * u[j];
                /* (j, k) and (k, j) get the same two products in swapped order, so the two
                 * triangles stay exactly equal. */
                for (long j = 0; j <= l; j++) {
                    const double fj = u[j], gj = e[j];
                    double *restrict row = a + j * n;
                    for (long k = 0; k <= l; k++) row[k] -= fj * e[k] + gj * u[k];
                }
            }
        } else {
            e[i] = u[l];
        }
        d[i] = h;
    }
    for (long i = 0; i < n; i++) d[i] = a[i * n + i];
}

/* Implicit QL with Wilkinson shifts on the tridiagonal (d diagonal, e[1...] subdiagonal);
 * d ends holding the eigenvalues. */
static void tridiagonal_ql(double *d, double *e, long n) {
    for (long i = 1; i < n; i++) e[i - 1] = e[i];
    e[n - 1] = 0;
    for (long l = 0; l < n; l++) {
        int iter = 0;
        for (;;) {
            long m = l;
            while (m < n - 1) {
                const double dd = fabs(d[m]) + fabs(d[m + 1]);
                if (fabs(e[m]) <= DBL_EPSILON * dd) break;
                m++;
            }
            if (m == l) break;
            if (++iter > 60) break;
            double g = (d[l + 1] - d[l]) / (2 * e[l]);
            double r = sqrt(g * g + 1);
            g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
            double s = 1, c = 1, p = 0;
            int underflow = 0;
            for (long i = m - 1; i >= l; i--) {
                const double f = s * e[i];
                const double b = c * e[i];
                r = sqrt(f * f + g * g);
                e[i + 1] = r;
                if (r == 0) { d[i + 1] -= p; e[m] = 0; underflow = 1; break; }
                s = f / r; c = g / r;
                g = d[i + 1] - p;
                r = (d[i] - g) * s + 2 * c * b;
                p = s * r;
                d[i + 1] = g + p;
                g = c * r - b;
            }
            if (underflow) continue;
            d[l] -= p; e[l] = g; e[m] = 0;
        }
    }
}

__attribute__((target("avx"))) static void gram_avx(const double *m, double *mt, long n, double *s) {
    gram_body(m, mt, n, s);
}
__attribute__((target("avx"))) static void tridiagonal_avx(double *a, long n, double *d, double *e) {
    tridiagonal_body(a, n, d, e);
}
static void gram_plain(const double *m, double *mt, long n, double *s) { gram_body(m, mt, n, s); }
static void tridiagonal_plain(double *a, long n, double *d, double *e) { tridiagonal_body(a, n, d, e); }

void kira_gram(const double *m, long n, double *mt, double *s) {
    if (__builtin_cpu_supports("avx")) gram_avx(m, mt, n, s); else gram_plain(m, mt, n, s);
}

void kira_symmetric_eigenvalues(double *a, long n, double *d, double *e) {
    if (n == 1) { d[0] = a[0]; return; }
    for (long i = 0; i < n; i++)
        for (long j = i + 1; j < n; j++) a[i * n + j] = a[j * n + i];
    if (__builtin_cpu_supports("avx")) tridiagonal_avx(a, n, d, e); else tridiagonal_plain(a, n, d, e);
    tridiagonal_ql(d, e, n);
}
