import CKiraBLAS
import CKiraKernels
import Foundation

// Every loop over raw memory of the interpreter lives in this file; the operators above it
// work on `Tensor` values and shapes only. Layout is NCHW, row-major.

/// Geometry of one 2-D window operation (convolution or pooling) on an image of h × w.
struct Window2D: Sendable {
    var kernel: (Int, Int)
    var strides: (Int, Int)
    var dilations: (Int, Int)
    /// top, left, bottom, right
    var pads: (Int, Int, Int, Int)
    var outH: Int
    var outW: Int
}

enum Kernels {
    /// `count` values of T from little-endian bytes (ONNX raw_data; the host is little-endian).
    static func littleEndian<T>(_ raw: Data, count: Int, as: T.Type) -> [T] {
        [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = raw.copyBytes(to: buffer) / MemoryLayout<T>.stride
        }
    }

    static func setBLASThreads(_ n: Int) { kira_blas_set_threads(Int32(max(1, n))) }

    /// Opens OpenBLAS (once); nil when it is there, else why not.
    static func loadBLAS() -> String? {
        kira_blas_load() != 0 ? nil : String(cString: kira_blas_error())
    }

    /// Whether this CPU runs Kira's own SGEMM (AVX2 and FMA); where it does not, every product
    /// goes to OpenBLAS.
    static let ownGEMM = kira_gemm_available() != 0

    /// `count` row-major m × k matrices stored one after another, each packed for
    /// `kira_gemm_packed` (`packedGEMMSize` floats apiece).
    static func packGEMM(_ a: [Float], count: Int, rows m: Int, columns k: Int) -> [Float] {
        let size = packedGEMMSize(rows: m, columns: k)
        var out = [Float](repeating: 0, count: count * size)
        a.withUnsafeBufferPointer { ap in
            out.withUnsafeMutableBufferPointer { op in
                for i in 0..<count { kira_gemm_pack_a(ap.baseAddress! + i * m * k, k, m, k, op.baseAddress! + i * size) }
            }
        }
        return out
    }

    static func packedGEMMSize(rows m: Int, columns k: Int) -> Int { kira_gemm_packed_size(m, k) }

    /// Convolution as im2col + SGEMM per image and group; a 1×1 kernel with stride 1 and no
    /// padding multiplies the input directly. With `packed` (the weights packed by `GEMMPlan`,
    /// one block per group) Kira's own SGEMM adds the bias, then `residual` (a tensor of the
    /// output's shape, written over), and applies the ReLU as it stores.
    static func conv2d(_ x: Tensor, weight: Tensor, packed: Tensor? = nil, bias: Tensor?, window g: Window2D, groups: Int,
                       relu: Bool = false, onto residual: consuming Tensor? = nil) -> Tensor {
        precondition(residual == nil || packed != nil, "a residual is stored onto by Kira's own SGEMM only")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let m = weight.shape[0]
        let (kh, kw) = g.kernel
        let cg = c / groups, mg = m / groups
        let k = cg * kh * kw
        let plane = g.outH * g.outW
        // The output is made in bands of whole output rows, about 512 columns wide, so that a
        // band's im2col rows, its output block and the bias and ReLU passes over that block
        // stay in cache between the steps. With a bias, the block starts as the bias and
        // SGEMM adds to it (beta 1); OpenBLAS would otherwise zero it first for beta 0.
        let bandRows = max(1, min(g.outH, 512 / max(1, g.outW)))
        let direct = kh == 1 && kw == 1 && g.strides == (1, 1) && g.pads == (0, 0, 0, 0)
        let beta: Float = bias == nil ? 0 : 1
        let accumulate: Int32 = residual == nil ? 0 : 1
        // The residual's own storage becomes the output (moved out, so not copied on write).
        var out: [Float] = []
        if var r = consume residual { swap(&out, &r.data) } else {
            out = [Float](unsafeUninitializedCapacity: n * m * plane) { _, initialized in initialized = n * m * plane }
        }
        // im2col writes every element, padding included.
        let colCount = direct ? 0 : k * bandRows * g.outW
        var col = [Float](unsafeUninitializedCapacity: colCount) { _, initialized in initialized = colCount }
        let packedSize = packedGEMMSize(rows: mg, columns: k)
        let packedData = packed?.data ?? [], biasData = bias?.data ?? []
        x.data.withUnsafeBufferPointer { xp in
            weight.data.withUnsafeBufferPointer { wp in
                out.withUnsafeMutableBufferPointer { op in
                    col.withUnsafeMutableBufferPointer { cp in
                        packedData.withUnsafeBufferPointer { pp in
                            biasData.withUnsafeBufferPointer { bp in
                                for img in 0..<n {
                                    for grp in 0..<groups {
                                        let src = xp.baseAddress! + (img * c + grp * cg) * h * w
                                        for oy0 in stride(from: 0, to: g.outH, by: bandRows) {
                                            let rows = oy0..<min(g.outH, oy0 + bandRows)
                                            let (first, cols) = (oy0 * g.outW, rows.count * g.outW)
                                            let dst = op.baseAddress! + (img * m + grp * mg) * plane + first
                                            let b: UnsafePointer<Float>, ldb: Int
                                            if direct {
                                                (b, ldb) = (src + first, plane)
                                            } else {
                                                im2col(src, channels: cg, h: h, w: w, window: g, rows: rows, into: cp.baseAddress!)
                                                (b, ldb) = (UnsafePointer(cp.baseAddress!), cols)
                                            }
                                            if packed != nil {
                                                kira_gemm_packed(pp.baseAddress! + grp * packedSize, mg, k, b, ldb, cols,
                                                                 bias == nil ? nil : bp.baseAddress! + grp * mg, dst, plane,
                                                                 accumulate, relu ? 1 : 0)
                                                continue
                                            }
                                            if let bias {
                                                for oc in 0..<mg { (dst + oc * plane).update(repeating: bias.data[grp * mg + oc], count: cols) }
                                            }
                                            kira_sgemm(0, 0, mg, cols, k, 1, wp.baseAddress! + grp * mg * k, k, b, ldb, beta, dst, plane)
                                            if relu { for oc in 0..<mg { clampNegative(dst + oc * plane, count: cols) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, m, g.outH, g.outW], data: out)
    }

    /// A 1×1 convolution (stride 1, no padding, one group) of `parts` joined along channels,
    /// each channel normalised by `affine` and clamped when `relu` as Kira's own SGEMM packs
    /// it, so that the joined tensor is never written (DenseNet's Concat, BatchNormalization and
    /// ReLU before each layer's first convolution). `packed` holds the weights (`GEMMPlan`).
    static func conv1x1(parts: [Tensor], affine f: ChannelAffine?, relu: Bool, packed: Tensor, outChannels m: Int,
                        bias: Tensor?, reluAfter: Bool) -> Tensor {
        let (n, plane) = (parts[0].shape[0], parts[0].shape[2] * parts[0].shape[3])
        let k = parts.reduce(0) { $0 + $1.shape[1] }
        var out = [Float](unsafeUninitializedCapacity: n * m * plane) { _, c in c = n * m * plane }
        var rows = [UnsafePointer<Float>?](repeating: nil, count: k)
        let scale = f?.scale ?? [], shift = f?.shift ?? [], biasData = bias?.data ?? []
        var bases: [UnsafePointer<Float>?] = []
        withBases(parts[...], &bases) { bases in
            packed.data.withUnsafeBufferPointer { pp in
                scale.withUnsafeBufferPointer { sp in
                    shift.withUnsafeBufferPointer { tp in
                        biasData.withUnsafeBufferPointer { bp in
                            out.withUnsafeMutableBufferPointer { op in
                                rows.withUnsafeMutableBufferPointer { rp in
                                    for img in 0..<n {
                                        var r = 0
                                        for (part, base) in zip(parts, bases) {
                                            let c = part.shape[1]
                                            for ch in 0..<c { rp[r + ch] = base! + (img * c + ch) * plane }
                                            r += c
                                        }
                                        var b = KiraGemmRows(rows: UnsafePointer(rp.baseAddress), scale: f == nil ? nil : sp.baseAddress,
                                                             shift: f == nil ? nil : tp.baseAddress, relu: relu ? 1 : 0)
                                        kira_gemm_packed_rows(pp.baseAddress!, m, k, &b, plane, bias == nil ? nil : bp.baseAddress!,
                                                              op.baseAddress! + img * m * plane, plane, 0, reluAfter ? 1 : 0)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, m, parts[0].shape[2], parts[0].shape[3]], data: out)
    }

    /// The storage of each tensor, held for `body`; a tensor with no elements gives nil.
    private static func withBases<R>(_ tensors: ArraySlice<Tensor>, _ bases: inout [UnsafePointer<Float>?],
                                     _ body: ([UnsafePointer<Float>?]) -> R) -> R {
        guard let first = tensors.first else { return body(bases) }
        return first.data.withUnsafeBufferPointer { p in
            bases.append(p.baseAddress)
            return withBases(tensors.dropFirst(), &bases, body)
        }
    }

    /// A 3×3 filter bank [K, C, 3, 3] in the Winograd F(2×2, 3×3) domain, U = G·g·Gᵀ with
    /// G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1] (Lavin and Gray 2016), laid out as 16 matrices K×C.
    static func winogradFilter(_ w: Tensor) -> Tensor {
        let (k, c) = (w.shape[0], w.shape[1])
        var u = [Float](repeating: 0, count: 16 * k * c)
        w.data.withUnsafeBufferPointer { wp in
            u.withUnsafeMutableBufferPointer { up in
                for oc in 0..<k {
                    for ic in 0..<c {
                        let g = wp.baseAddress! + (oc * c + ic) * 9
                        // Columns of G·g (4 rows × 3 columns), in double.
                        func column(_ j: Int) -> SIMD4<Double> {
                            let (a, b, d) = (Double(g[j]), Double(g[3 + j]), Double(g[6 + j]))
                            return SIMD4(a, (a + b + d) / 2, (a - b + d) / 2, d)
                        }
                        // Each row of G·g times Gᵀ, four rows at once.
                        let (a, b, d) = (column(0), column(1), column(2))
                        let out = (a, (a + b + d) / 2, (a - b + d) / 2, d)
                        for i in 0..<4 {
                            let base = up.baseAddress! + (i * 4 * k + oc) * c + ic
                            base[0] = Float(out.0[i]); base[k * c] = Float(out.1[i])
                            base[2 * k * c] = Float(out.2[i]); base[3 * k * c] = Float(out.3[i])
                        }
                    }
                }
            }
        }
        return Tensor(shape: [16, k, c], data: u)
    }

    /// A 3×3 convolution with stride and dilation 1 by Winograd F(2×2, 3×3): each 2×2 output
    /// tile from a 4×4 input tile with 16 multiplications per channel pair instead of 36, as
    /// 16 SGEMMs of K×C by C×tiles, and no im2col matrix (the transformed input is 4× the
    /// input, im2col's is 9×). The transforms add and subtract only, so the result stays
    /// within float32 rounding of the direct sum. `u` is the bank of `winogradFilter`
    /// ([16, K, C]) or, for Kira's own SGEMM, the same packed by `GEMMPlan` ([16, packed size]).
    ///
    /// The tiles go through all three steps a block at a time (`winogradBlock`), so that the
    /// block's transformed input and products stay in L2 between the steps instead of going
    /// out to L3 and back (DenseNet's 56×56 layers would have 6.4 MB of them).
    static func conv3x3Winograd(_ x: Tensor, filter u: Tensor, outChannels k: Int, bias: Tensor?, window g: Window2D, relu: Bool) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let packed = u.rank == 2
        let (outH, outW) = (g.outH, g.outW)
        let (tilesY, tilesX) = ((outH + 1) / 2, (outW + 1) / 2)
        let t = tilesY * tilesX
        let (pt, pl) = (g.pads.0, g.pads.1)
        let block = winogradBlock(tiles: t, inChannels: c, outChannels: k)
        var out = [Float](unsafeUninitializedCapacity: n * k * outH * outW) { _, m in m = n * k * outH * outW }
        // The last block takes the rest when that is at most half a block more (no tiny block,
        // which would read the whole filter bank for a few tiles).
        let most = min(t, block + block / 2)
        var v = [Float](unsafeUninitializedCapacity: 16 * c * most) { _, m in m = 16 * c * most }
        var prod = [Float](unsafeUninitializedCapacity: 16 * k * most) { _, m in m = 16 * k * most }
        // Each pass runs along (part of) a row of tiles so that its inner loops are contiguous:
        // four padded input rows (the left padding is pl zeros), and per transformed row four lines.
        let width = 2 * tilesX + 2
        var rows = [Float](repeating: 0, count: 4 * width)
        var lines = [Float](repeating: 0, count: 8 * tilesX)
        x.data.withUnsafeBufferPointer { xp in
            u.data.withUnsafeBufferPointer { up in
                v.withUnsafeMutableBufferPointer { vp in
                    prod.withUnsafeMutableBufferPointer { mp in
                        out.withUnsafeMutableBufferPointer { op in
                            rows.withUnsafeMutableBufferPointer { rp in
                                lines.withUnsafeMutableBufferPointer { lp in
                                    let r = rp.baseAddress!, l = lp.baseAddress!
                                    for img in 0..<n {
                                        var t0 = 0
                                        while t0 < t {
                                            let nb = t - t0 <= most ? t - t0 : block
                                            defer { t0 += nb }
                                            // The block's tiles t0 ..< t0 + nb, numbered along rows, as
                                            // (tile row, first and end tile column) pieces.
                                            let pieces = (t0 / tilesX...(t0 + nb - 1) / tilesX).map { ty in
                                                (ty, max(0, t0 - ty * tilesX), min(tilesX, t0 + nb - ty * tilesX))
                                            }
                                            // Input tiles: V = Bᵀ·d·B with Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1];
                                            // first down the four rows of a tile row, then across.
                                            for ch in 0..<c {
                                                let src = xp.baseAddress! + (img * c + ch) * h * w
                                                for (ty, txa, txb) in pieces {
                                                    // Padded columns c0 ..< c0 + sw, that is input columns c0 − pl ..< c0 + sw − pl.
                                                    let c0 = 2 * txa, sw = 2 * (txb - txa) + 2
                                                    for q in 0..<4 {
                                                        let iy = 2 * ty - pt + q
                                                        let dst = r + q * width
                                                        guard iy >= 0 && iy < h else { dst.update(repeating: 0, count: sw); continue }
                                                        let lo = min(max(pl - c0, 0), sw), hi = max(lo, min(sw, w + pl - c0))
                                                        for col in 0..<lo { dst[col] = 0 }
                                                        if hi > lo { (dst + lo).update(from: src + iy * w + (c0 + lo - pl), count: hi - lo) }
                                                        for col in hi..<sw { dst[col] = 0 }
                                                    }
                                                    let (d0, d1, d2, d3) = (r, r + width, r + 2 * width, r + 3 * width)
                                                    var col = 0
                                                    while col + 4 <= sw {
                                                        let (a, b, e, f) = (load4(d0 + col), load4(d1 + col), load4(d2 + col), load4(d3 + col))
                                                        store4(a - e, d0 + col); store4(b + e, d1 + col); store4(e - b, d2 + col); store4(b - f, d3 + col)
                                                        col += 4
                                                    }
                                                    while col < sw {
                                                        let (a, b, e, f) = (d0[col], d1[col], d2[col], d3[col])
                                                        d0[col] = a - e; d1[col] = b + e; d2[col] = e - b; d3[col] = b - f
                                                        col += 1
                                                    }
                                                    let count = txb - txa
                                                    for q in 0..<4 {
                                                        let row = r + q * width
                                                        let base = vp.baseAddress! + (q * 4 * c + ch) * nb + ty * tilesX + txa - t0
                                                        let (v0, v1, v2, v3) = (base, base + c * nb, base + 2 * c * nb, base + 3 * c * nb)
                                                        var tx = 0
                                                        // Four tiles at once: their columns 2tx…2tx+9 as even and odd lanes.
                                                        while tx + 4 <= count {
                                                            let lo = load8(row + 2 * tx), hi = load8(row + 2 * tx + 2)
                                                            let (a, b, e, f) = (lo.evenHalf, lo.oddHalf, hi.evenHalf, hi.oddHalf)
                                                            store4(a - e, v0 + tx); store4(b + e, v1 + tx); store4(e - b, v2 + tx); store4(b - f, v3 + tx)
                                                            tx += 4
                                                        }
                                                        while tx < count {
                                                            let (a, b, e, f) = (row[2 * tx], row[2 * tx + 1], row[2 * tx + 2], row[2 * tx + 3])
                                                            v0[tx] = a - e; v1[tx] = b + e; v2[tx] = e - b; v3[tx] = b - f
                                                            tx += 1
                                                        }
                                                    }
                                                }
                                            }
                                            for xi in 0..<16 {
                                                if packed {
                                                    kira_gemm_packed(up.baseAddress! + xi * u.shape[1], k, c, vp.baseAddress! + xi * c * nb, nb, nb,
                                                                     nil, mp.baseAddress! + xi * k * nb, nb, 0, 0)
                                                } else {
                                                    kira_sgemm(0, 0, k, nb, c, 1, up.baseAddress! + xi * k * c, c, vp.baseAddress! + xi * c * nb, nb,
                                                               0, mp.baseAddress! + xi * k * nb, nb)
                                                }
                                            }
                                            // Output tiles: Y = Aᵀ·m·A with Aᵀ = [1 1 1 0; 0 1 −1 −1], plus bias.
                                            for oc in 0..<k {
                                                let bv = bias?.data[oc] ?? 0
                                                let dst = op.baseAddress! + (img * k + oc) * outH * outW
                                                let stride = k * nb
                                                for (ty, txa, txb) in pieces {
                                                    let count = txb - txa
                                                    let m = mp.baseAddress! + oc * nb + ty * tilesX + txa - t0
                                                    // Down: s0 = m0 + m1 + m2, s1 = m1 − m2 − m3, per column j of the tile.
                                                    for j in 0..<4 {
                                                        let (m0, m1, m2, m3) = (m + j * stride, m + (4 + j) * stride, m + (8 + j) * stride, m + (12 + j) * stride)
                                                        let (s0, s1) = (l + j * tilesX, l + (4 + j) * tilesX)
                                                        var tx = 0
                                                        while tx + 4 <= count {
                                                            let (a, b, e, f) = (load4(m0 + tx), load4(m1 + tx), load4(m2 + tx), load4(m3 + tx))
                                                            store4(a + b + e, s0 + tx); store4(b - e - f, s1 + tx)
                                                            tx += 4
                                                        }
                                                        while tx < count {
                                                            s0[tx] = m0[tx] + m1[tx] + m2[tx]
                                                            s1[tx] = m1[tx] - m2[tx] - m3[tx]
                                                            tx += 1
                                                        }
                                                    }
                                                    for half in 0..<2 where 2 * ty + half < outH {
                                                        let s = l + half * 4 * tilesX
                                                        let line = dst + (2 * ty + half) * outW + 2 * txa
                                                        let lineW = outW - 2 * txa
                                                        var tx = 0
                                                        let zero = SIMD4<Float>(repeating: 0), bias4 = SIMD4<Float>(repeating: bv)
                                                        while tx + 4 <= count && 2 * tx + 8 <= lineW {
                                                            let (a, b, e, f) = (load4(s + tx), load4(s + tilesX + tx), load4(s + 2 * tilesX + tx), load4(s + 3 * tilesX + tx))
                                                            var y0 = a + b + e + bias4, y1 = b - e - f + bias4
                                                            if relu { y0.replace(with: zero, where: .!(y0 .> zero)); y1.replace(with: zero, where: .!(y1 .> zero)) }
                                                            store8(SIMD8(y0[0], y1[0], y0[1], y1[1], y0[2], y1[2], y0[3], y1[3]), line + 2 * tx)
                                                            tx += 4
                                                        }
                                                        while tx < count {
                                                            let (a, b, e, f) = (s[tx], s[tilesX + tx], s[2 * tilesX + tx], s[3 * tilesX + tx])
                                                            var y0 = a + b + e + bv, y1 = b - e - f + bv
                                                            if relu { y0 = y0 > 0 ? y0 : 0; y1 = y1 > 0 ? y1 : 0 }
                                                            line[2 * tx] = y0
                                                            if 2 * tx + 1 < lineW { line[2 * tx + 1] = y1 }
                                                            tx += 1
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, k, outH, outW], data: out)
    }

    /// Tiles per Winograd block: as many as keep the block's transformed input and products
    /// (64·(C + K) bytes a tile) within half of a 1 MB L2, in whole 16-column panels of the
    /// SGEMM. Each block reads the whole filter bank (64·K·C bytes) again, which costs less than
    /// the round trip through L3 it saves (twice 64·(C + K) bytes a tile) only when a block has
    /// more than K·C / (2(C + K)) tiles; wider layers (ResNet-50's 256 and 512 channels) run in
    /// one block, as before blocking. ResNet-50's 128-channel layers sit just at that bound
    /// (blocks of 32): blocking them measured 0.76–0.91× the time of leaving them whole in three
    /// paired runs, though against the unblocked code both stay within 2%. On DenseNet-169
    /// blocks of 320 or 768 KB in place of 512 did not differ beyond the noise.
    static func winogradBlock(tiles t: Int, inChannels c: Int, outChannels k: Int) -> Int {
        let fit = 512 * 1024 / (64 * (c + k)) / 16 * 16
        guard fit >= 16, 2 * (c + k) * fit >= k * c else { return t }
        return min(fit, t)
    }

    @inline(__always) private static func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
    }
    @inline(__always) private static func load4(_ p: UnsafeMutablePointer<Float>) -> SIMD4<Float> { load4(UnsafePointer(p)) }
    @inline(__always) private static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) private static func load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> { load8(UnsafePointer(p)) }
    @inline(__always) private static func store4(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
    }
    @inline(__always) private static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// Rows (channel, ky, kx), columns (oy, ox); taps in the padding are 0.
    /// Only the output rows `rows`: the matrix has rows.count × outW columns.
    private static func im2col(_ src: UnsafePointer<Float>, channels: Int, h: Int, w: Int, window g: Window2D, rows: Range<Int>, into col: UnsafeMutablePointer<Float>) {
        let (kh, kw) = g.kernel
        let (sh, sw) = g.strides
        let (dh, dw) = g.dilations
        let (pt, pl) = (g.pads.0, g.pads.1)
        let plane = rows.count * g.outW
        var row = 0
        for ch in 0..<channels {
            let s = src + ch * h * w
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let d = col + row * plane
                    for oy in rows {
                        let iy = oy * sh - pt + ky * dh
                        let line = d + (oy - rows.lowerBound) * g.outW
                        if iy < 0 || iy >= h {
                            for ox in 0..<g.outW { line[ox] = 0 }
                            continue
                        }
                        let srow = s + iy * w
                        if sw == 1 {
                            // Stride 1: the taps inside the row are one contiguous run of the
                            // source, copied at once; only the padding at either end is zeroed.
                            let off = kx * dw - pl
                            let lo = min(max(0, -off), g.outW), hi = max(lo, min(g.outW, w - off))
                            for ox in 0..<lo { line[ox] = 0 }
                            if hi > lo { (line + lo).update(from: srow + (lo + off), count: hi - lo) }
                            for ox in hi..<g.outW { line[ox] = 0 }
                            continue
                        }
                        var ix = -pl + kx * dw
                        for ox in 0..<g.outW {
                            line[ox] = (ix >= 0 && ix < w) ? srow[ix] : 0
                            ix += sw
                        }
                    }
                    row += 1
                }
            }
        }
    }

    /// Max or average over each window; `countPad` counts padded taps in the average (clipped
    /// to the padded extent, as ONNX Runtime does).
    static func pool2d(_ x: Tensor, window g: Window2D, max isMax: Bool, countPad: Bool) -> Tensor {
        if g.dilations == (1, 1) { return separablePool2d(x, window: g, max: isMax, countPad: countPad) }
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let plane = g.outH * g.outW
        var out = [Float](repeating: 0, count: n * c * plane)
        x.data.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                for p in 0..<(n * c) {
                    let s = xp.baseAddress! + p * h * w
                    let d = op.baseAddress! + p * plane
                    for oy in 0..<g.outH {
                        for ox in 0..<g.outW {
                            let y0 = oy * g.strides.0 - g.pads.0, x0 = ox * g.strides.1 - g.pads.1
                            var best = -Float.infinity
                            var sum: Float = 0
                            // The taps inside the image, found once per window rather than tested one by one.
                            let ys = taps(from: y0, count: g.kernel.0, step: g.dilations.0, size: h)
                            let xs = taps(from: x0, count: g.kernel.1, step: g.dilations.1, size: w)
                            for ky in ys {
                                let line = (y0 + ky * g.dilations.0) * w + x0
                                for kx in xs {
                                    let v = s[line + kx * g.dilations.1]
                                    if v > best { best = v }
                                    sum += v
                                }
                            }
                            let taps = ys.count * xs.count
                            if isMax {
                                d[oy * g.outW + ox] = best
                            } else {
                                var divisor = taps
                                if countPad {
                                    let y1 = Swift.min(y0 + (g.kernel.0 - 1) * g.dilations.0 + 1, h + g.pads.2)
                                    let x1 = Swift.min(x0 + (g.kernel.1 - 1) * g.dilations.1 + 1, w + g.pads.3)
                                    divisor = ((y1 - y0 + g.dilations.0 - 1) / g.dilations.0) * ((x1 - x0 + g.dilations.1 - 1) / g.dilations.1)
                                }
                                d[oy * g.outW + ox] = divisor > 0 ? sum / Float(divisor) : 0
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, c, g.outH, g.outW], data: out)
    }

    /// Pooling without dilation in two passes per output row: down the window's rows in the
    /// image (eight columns at a time), then across each window's columns. Each row of the image
    /// is read once per output row instead of once per window that covers it. The maximum is
    /// the same; a sum adds down before across, a different order within float32 rounding.
    private static func separablePool2d(_ x: Tensor, window g: Window2D, max isMax: Bool, countPad: Bool) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let plane = g.outH * g.outW
        var out = [Float](unsafeUninitializedCapacity: n * c * plane) { _, m in m = n * c * plane }
        var down = [Float](repeating: 0, count: w)
        // Output columns whose window lies inside the row: x0 = ox·stride − pad ≥ 0 and x0 + kernel ≤ w.
        let innerLo = (g.pads.1 + g.strides.1 - 1) / g.strides.1
        let innerHi = w - g.kernel.1 + g.pads.1 >= 0 ? Swift.min(g.outW, (w - g.kernel.1 + g.pads.1) / g.strides.1 + 1) : 0
        let inner = innerLo..<Swift.max(innerLo, innerHi)
        x.data.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                down.withUnsafeMutableBufferPointer { dp in
                    let v = dp.baseAddress!
                    for p in 0..<(n * c) {
                        let s = xp.baseAddress! + p * h * w
                        let d = op.baseAddress! + p * plane
                        for oy in 0..<g.outH {
                            let y0 = oy * g.strides.0 - g.pads.0
                            let ys = taps(from: y0, count: g.kernel.0, step: 1, size: h)
                            let line = d + oy * g.outW
                            guard let first = ys.first else {
                                for ox in 0..<g.outW { line[ox] = isMax ? -Float.infinity : 0 }
                                continue
                            }
                            v.update(from: s + (y0 + first) * w, count: w)
                            for ky in ys.dropFirst() {
                                let row = s + (y0 + ky) * w
                                var i = 0
                                // Compare and select: Swift's pointwiseMax does each lane apart.
                                if isMax {
                                    while i + 8 <= w {
                                        var a = load8(v + i)
                                        let b = load8(row + i)
                                        a.replace(with: b, where: b .> a)
                                        store8(a, v + i)
                                        i += 8
                                    }
                                    while i < w { if row[i] > v[i] { v[i] = row[i] }; i += 1 }
                                } else {
                                    while i + 8 <= w { store8(load8(v + i) + load8(row + i), v + i); i += 8 }
                                    while i < w { v[i] += row[i]; i += 1 }
                                }
                            }
                            // Windows wholly inside the row take a fixed number of taps and share
                            // one divisor; the others go the general way.
                            let (sx, kw) = (g.strides.1, g.kernel.1)
                            if isMax {
                                for ox in inner {
                                    let t = v + ox * sx - g.pads.1
                                    var best = -Float.infinity
                                    for kx in 0..<kw where t[kx] > best { best = t[kx] }
                                    line[ox] = best
                                }
                            } else {
                                let y1 = Swift.min(y0 + g.kernel.0, h + g.pads.2)
                                let divisor = Float(countPad ? (y1 - y0) * kw : ys.count * kw)
                                for ox in inner {
                                    let t = v + ox * sx - g.pads.1
                                    var sum = t[0]
                                    for kx in 1..<kw { sum += t[kx] }
                                    line[ox] = sum / divisor
                                }
                            }
                            for ox in 0..<g.outW where !inner.contains(ox) {
                                let x0 = ox * g.strides.1 - g.pads.1
                                let xs = taps(from: x0, count: g.kernel.1, step: 1, size: w)
                                var best = -Float.infinity, sum: Float = 0
                                for kx in xs {
                                    let value = v[x0 + kx]
                                    if value > best { best = value }
                                    sum += value
                                }
                                if isMax { line[ox] = best; continue }
                                var divisor = ys.count * xs.count
                                if countPad {
                                    let y1 = Swift.min(y0 + g.kernel.0, h + g.pads.2), x1 = Swift.min(x0 + g.kernel.1, w + g.pads.3)
                                    divisor = (y1 - y0) * (x1 - x0)
                                }
                                line[ox] = divisor > 0 ? sum / Float(divisor) : 0
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, c, g.outH, g.outW], data: out)
    }

    /// The k in 0..<count with start + k·step inside 0..<size.
    @inline(__always)
    private static func taps(from start: Int, count: Int, step: Int, size: Int) -> Range<Int> {
        let lo = start >= 0 ? 0 : (-start + step - 1) / step
        let hi = start > size - 1 ? 0 : Swift.min(count, (size - 1 - start) / step + 1)
        return lo..<Swift.max(lo, hi)
    }

    static func globalAveragePool(_ x: Tensor) -> Tensor {
        let planes = x.shape[0] * x.shape[1]
        let size = x.shape.dropFirst(2).reduce(1, *)
        var out = [Float](repeating: 0, count: planes)
        x.data.withUnsafeBufferPointer { xp in
            for p in 0..<planes {
                let s = xp.baseAddress! + p * size
                var sum: Double = 0
                for i in 0..<size { sum += Double(s[i]) }
                out[p] = Float(sum / Double(size))
            }
        }
        return Tensor(shape: Array(x.shape.prefix(2)) + Array(repeating: 1, count: x.rank - 2), data: out)
    }

    /// max(x, 0); NaN becomes 0 here and in every fused ReLU alike.
    @inline(__always)
    private static func clampNegative(_ p: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count where !(p[i] > 0) { p[i] = 0 }
    }

    /// In place: the operators hand over tensors they own, so no copy is made.
    static func relu(_ x: inout Tensor) {
        x.ints = nil
        x.data.withUnsafeMutableBufferPointer { p in if let base = p.baseAddress { clampNegative(base, count: p.count) } }
    }

    /// Per-channel (axis 1) x = scale·x + shift, then ReLU if asked, in place.
    static func channelAffine(_ x: inout Tensor, _ f: ChannelAffine, relu: Bool) {
        let (n, c) = (x.shape[0], x.shape[1])
        let inner = x.shape.dropFirst(2).reduce(1, *)
        x.ints = nil
        x.data.withUnsafeMutableBufferPointer { p in
            for img in 0..<n {
                for ch in 0..<c {
                    let d = p.baseAddress! + (img * c + ch) * inner
                    affine(d, d, count: inner, scale: f.scale[ch], shift: f.shift[ch], relu: relu)
                }
            }
        }
    }

    /// dst[i] = scale·src[i] + shift, clamped at 0 when `relu`; dst may be src.
    @inline(__always)
    private static func affine(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int, scale s: Float, shift t: Float, relu: Bool) {
        if relu {
            for i in 0..<count { let v = src[i] * s + t; dst[i] = v > 0 ? v : 0 }
        } else {
            for i in 0..<count { dst[i] = src[i] * s + t }
        }
    }

    /// a + b with NumPy broadcasting onto `shape`, then ReLU if asked; the sum replaces `a`,
    /// written over its values when the shapes are equal.
    static func add(_ a: inout Tensor, _ b: Tensor, shape: [Int], relu: Bool) {
        if a.shape == b.shape {
            a.ints = nil
            b.data.withUnsafeBufferPointer { bp in
                a.data.withUnsafeMutableBufferPointer { yp in
                    for i in 0..<yp.count { yp[i] += bp[i] }
                    if relu, let p = yp.baseAddress { clampNegative(p, count: yp.count) }
                }
            }
            return
        }
        let ia = broadcastIndex(a.shape, to: shape), ib = broadcastIndex(b.shape, to: shape)
        var y = [Float](repeating: 0, count: shape.reduce(1, *))
        a.data.withUnsafeBufferPointer { ap in
            b.data.withUnsafeBufferPointer { bp in
                y.withUnsafeMutableBufferPointer { yp in
                    for i in 0..<yp.count { yp[i] = ap[ia[i]] + bp[ib[i]] }
                    if relu, let p = yp.baseAddress { clampNegative(p, count: yp.count) }
                }
            }
        }
        a = Tensor(shape: shape, data: y)
    }

    /// For each element of `shape` (row-major), the index of the value of a tensor of
    /// `source` shape broadcast to it.
    static func broadcastIndex(_ source: [Int], to shape: [Int]) -> [Int] {
        let r = shape.count
        let s = Array(repeating: 1, count: r - source.count) + source
        var strides = Array(repeating: 0, count: r)
        var acc = 1
        for d in stride(from: r - 1, through: 0, by: -1) {
            strides[d] = s[d] == 1 ? 0 : acc
            acc *= s[d]
        }
        let total = shape.reduce(1, *)
        var out = [Int](repeating: 0, count: total)
        var idx = Array(repeating: 0, count: r)
        var offset = 0
        for i in 0..<total {
            out[i] = offset
            var d = r - 1
            while d >= 0 {
                idx[d] += 1
                offset += strides[d]
                if idx[d] < shape[d] { break }
                offset -= strides[d] * idx[d]
                idx[d] = 0
                d -= 1
            }
        }
        return out
    }

    /// Y[m×n] = A·op(B) + beta·C, C already broadcast to m×n (or nil), with op(B)ᵀ packed for
    /// Kira's own SGEMM: each row of Y is op(B)ᵀ times that row of A, a one-column product.
    static func gemm(_ a: Tensor, packedTransposedB p: Tensor, n: Int, c: [Float]?, beta: Float) -> Tensor {
        let (m, k) = (a.shape[0], a.shape[1])
        var y = c.map { beta == 1 ? $0 : $0.map { beta * $0 } } ?? [Float](repeating: 0, count: m * n)
        a.data.withUnsafeBufferPointer { ap in
            p.data.withUnsafeBufferPointer { pp in
                y.withUnsafeMutableBufferPointer { yp in
                    for i in 0..<m {
                        kira_gemm_packed(pp.baseAddress!, n, k, ap.baseAddress! + i * k, 1, 1, nil, yp.baseAddress! + i * n, 1,
                                         c == nil ? 0 : 1, 0)
                    }
                }
            }
        }
        return Tensor(shape: [m, n], data: y)
    }

    /// Y[m×n] = alpha·op(A)·op(B) + beta·C, C already broadcast to m×n (or nil).
    static func gemm(_ a: Tensor, _ b: Tensor, c: [Float]?, transA: Bool, transB: Bool, alpha: Float, beta: Float) -> Tensor {
        let m = transA ? a.shape[1] : a.shape[0]
        let k = transA ? a.shape[0] : a.shape[1]
        let n = transB ? b.shape[0] : b.shape[1]
        var y = c ?? [Float](repeating: 0, count: m * n)
        a.data.withUnsafeBufferPointer { ap in
            b.data.withUnsafeBufferPointer { bp in
                y.withUnsafeMutableBufferPointer { yp in
                    kira_sgemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, ap.baseAddress!, a.shape[1],
                               bp.baseAddress!, b.shape[1], c == nil ? 0 : beta, yp.baseAddress!, n)
                }
            }
        }
        return Tensor(shape: [m, n], data: y)
    }

    /// Parts joined along `axis`; with `affine` (axis 1 only) each channel is normalised, and
    /// with `relu` clamped, as it is copied.
    static func concat(_ parts: [Tensor], axis: Int, affine f: ChannelAffine? = nil, relu: Bool = false) -> Tensor {
        var shape = parts[0].shape
        shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        let outer = shape.prefix(axis).reduce(1, *)
        let inner = shape.dropFirst(axis + 1).reduce(1, *)
        let total = shape.reduce(1, *)
        let y = [Float](unsafeUninitializedCapacity: total) { out, initialized in
            guard var d = out.baseAddress else { initialized = 0; return }
            for o in 0..<outer {
                var channel = 0
                for p in parts {
                    let rows = p.shape[axis], block = rows * inner
                    if block > 0 {
                        p.data.withUnsafeBufferPointer { src in
                            let s = src.baseAddress! + o * block
                            if let f {
                                for r in 0..<rows {
                                    affine(s + r * inner, d + r * inner, count: inner, scale: f.scale[channel + r], shift: f.shift[channel + r], relu: relu)
                                }
                            } else {
                                d.initialize(from: s, count: block)
                                if relu { clampNegative(d, count: block) }
                            }
                        }
                    }
                    d += block
                    channel += rows
                }
            }
            initialized = total
        }
        return Tensor(shape: shape, data: y)
    }

    /// Pads (begin, end per axis; negative crops) with a constant, the edge value or a
    /// reflection (edge not repeated).
    static func pad(_ x: Tensor, begins: [Int], ends: [Int], mode: String, value: Float) -> Tensor {
        let r = x.rank
        let shape = (0..<r).map { x.shape[$0] + begins[$0] + ends[$0] }
        // Per axis: the source index of each output index, or -1 for the constant.
        let maps: [[Int]] = (0..<r).map { d in
            let n = x.shape[d]
            return (0..<shape[d]).map { o in
                var i = o - begins[d]
                if i >= 0 && i < n { return i }
                switch mode {
                case "edge": return Swift.min(Swift.max(i, 0), n - 1)
                case "reflect":
                    if n == 1 { return 0 }
                    let period = 2 * (n - 1)
                    i = ((i % period) + period) % period
                    return i < n ? i : period - i
                default: return -1
                }
            }
        }
        var srcStrides = Array(repeating: 1, count: r)
        for d in stride(from: r - 2, through: 0, by: -1) { srcStrides[d] = srcStrides[d + 1] * x.shape[d + 1] }
        let total = shape.reduce(1, *)
        var y = [Float](repeating: value, count: total)
        guard total > 0 else { return Tensor(shape: shape, data: y) }
        var idx = Array(repeating: 0, count: r)
        x.data.withUnsafeBufferPointer { xp in
            for i in 0..<total {
                var src = 0
                var inside = true
                for d in 0..<r {
                    let s = maps[d][idx[d]]
                    if s < 0 { inside = false; break }
                    src += s * srcStrides[d]
                }
                if inside { y[i] = xp[src] }
                var d = r - 1
                while d >= 0 {
                    idx[d] += 1
                    if idx[d] < shape[d] { break }
                    idx[d] = 0
                    d -= 1
                }
            }
        }
        return Tensor(shape: shape, data: y)
    }
}
