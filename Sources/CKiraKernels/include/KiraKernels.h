#ifndef KIRA_KERNELS_H
#define KIRA_KERNELS_H

/// Coefficients of one fourth-order recursive (Deriche) line filter: numerators n (causal)
/// and m (anticausal), denominators d, and the edge terms bn / bm.
typedef struct {
    double n0, n1, n2, n3;
    double d1, d2, d3, d4;
    double m1, m2, m3, m4;
    double bn1, bn2, bn3, bn4;
    double bm1, bm2, bm3, bm4;
} KiraRecursiveCoefficients;

/// The widest vector path this CPU runs: 8 (AVX-512), 4 (AVX) or 0 (none; the caller keeps
/// its own path).
int kira_recursive_vector_width(void);

/// The recursive filter on `lanes` lines at once, with the same operations in the same order
/// as the Swift reference (so identical results, only wider): value i of lane l is read at
/// p[i * stride + l]; outputs at i in [keep_lo, keep_hi) go to
/// out[(i - keep_lo) * out_stride + l]. `scratch` holds 2 * n * lanes doubles. Requires
/// n >= 4 and a width from kira_recursive_vector_width() above 0.
void kira_recursive_lanes(int width, const KiraRecursiveCoefficients *c,
                          const double *p, long lanes, long stride, long n,
                          double *out, long out_stride, long keep_lo, long keep_hi,
                          double *scratch, int round_to_float);

/// Rows to lanes: t[i * lanes + l] = rows[l * row_stride + first + i] for i < n, l < lanes.
/// The x passes of separable filters run on `lanes` rows at once this way.
void kira_rows_to_lanes(const double *rows, long row_stride, long first, long n, long lanes, double *t);

/// The same from stored single-precision or 16-bit integer voxels (exact conversions);
/// `rows` points at the first value used.
void kira_rows_to_lanes_f32(const float *rows, long row_stride, long n, long lanes, double *t);
void kira_rows_to_lanes_i16(const short *rows, long row_stride, long n, long lanes, double *t);

/// Lanes back to rows: rows[l * row_stride + i] = t[i * lanes + l] for i < n, l < lanes.
void kira_lanes_to_rows(const double *t, long n, long lanes, double *rows, long row_stride);

/// The same into single precision (values the filter has already rounded to it).
void kira_lanes_to_rows_f32(const double *t, long n, long lanes, float *rows, long row_stride);

/// Contiguous conversions (`kira_f64_to_f32` rounds to nearest, as a cast does).
void kira_i16_to_f64(const short *src, double *dst, long n);
void kira_f32_to_f64(const float *src, double *dst, long n);
void kira_f64_to_f32(const double *src, float *dst, long n);

/// s = m mᵀ for an n × n row-major m (mt receives mᵀ; both n² doubles), each s[i][j] summed
/// over k in ascending order and mirrored from the upper triangle, so s is exactly symmetric.
void kira_gram(const double *m, long n, double *mt, double *s);

/// Eigenvalues (unsorted, into d) of the symmetric n × n row-major matrix a, read from its
/// lower triangle: Householder tridiagonalisation, then implicit QL with Wilkinson shifts.
/// a is overwritten; d and e hold n doubles. Rounds the same with or without AVX.
void kira_symmetric_eigenvalues(double *a, long n, double *d, double *e);

/// Makes glibc serve blocks up to 256 MiB from the heap and keep freed memory for reuse.
/// Filters and readers allocate and free many arrays of a few MiB; above glibc's default
/// threshold each is a fresh mmap whose pages all fault in zeroed and are unmapped on free.
void kira_keep_large_blocks_in_heap(void);

/// Gives blocks of 1 MiB or more (frames, bands, decoded images) mappings of their own,
/// returned to the system when freed, so a run that goes from one image to the next keeps
/// only the current one resident and the heap holds small blocks alone. Trimming the heap
/// after each image did the same at a higher price: malloc_trim discards every free page
/// of the heap, which the next image faults in again.
void kira_map_large_blocks(void);
/* All threads allocate from the main arena: a per-thread arena keeps what its thread freed
 * for that thread alone, so a short run's resident size would be the sum of every arena's
 * peak rather than the heap's. Call before any thread allocates. */
void kira_single_arena(void);

/// 1 when this CPU runs Kira's own single-precision GEMM (AVX2 and FMA); otherwise callers
/// use OpenBLAS.
int kira_gemm_available(void);

/// Floats that an m × k matrix A takes once packed by kira_gemm_pack_a.
long kira_gemm_packed_size(long m, long k);

/// A (m × k, row-major, leading dimension lda) packed for kira_gemm_packed.
void kira_gemm_pack_a(const float *a, long lda, long m, long k, float *packed);

/// C = A·B + bias[i] on row i (when bias is not NULL) + C's own values (when accumulate),
/// then max(0, ·) when relu: A packed by kira_gemm_pack_a, B k × n row-major with leading
/// dimension ldb, C m × n with leading dimension ldc. Requires kira_gemm_available().
void kira_gemm_packed(const float *packed_a, long m, long k, const float *b, long ldb, long n,
                      const float *bias, float *c, long ldc, int accumulate, int relu);

/// B given row by row, each row normalised and clamped as it is read: row i is
/// rows[i][0 ..< n], times scale[i] plus shift[i] (when scale is not NULL), then max(0, ·)
/// when relu. DenseNet's layers read the concatenation of every earlier output so, with no
/// copy of it made.
typedef struct {
    const float *const *rows;
    const float *scale, *shift;
    int relu;
} KiraGemmRows;

/// kira_gemm_packed with B's rows from `b` (k of them).
void kira_gemm_packed_rows(const float *packed_a, long m, long k, const KiraGemmRows *b, long n,
                           const float *bias, float *c, long ldc, int accumulate, int relu);

#endif
