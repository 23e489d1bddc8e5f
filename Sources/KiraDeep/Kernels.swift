import CKiraBLAS
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

    /// Convolution as im2col + SGEMM per image and group; a 1×1 kernel with stride 1 and no
    /// padding multiplies the input directly.
    static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, window g: Window2D, groups: Int, relu: Bool = false) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let m = weight.shape[0]
        let (kh, kw) = g.kernel
        let cg = c / groups, mg = m / groups
        let k = cg * kh * kw
        let plane = g.outH * g.outW
        // With a bias, the output starts as the bias and SGEMM adds to it (beta 1): no
        // separate bias pass, and OpenBLAS skips its own pass zeroing C for beta 0.
        var out: [Float]
        if let bias {
            out = [Float](unsafeUninitializedCapacity: n * m * plane) { buffer, initialized in
                for img in 0..<n {
                    for oc in 0..<m {
                        let start = (img * m + oc) * plane
                        (buffer.baseAddress! + start).initialize(repeating: bias.data[oc], count: plane)
                    }
                }
                initialized = n * m * plane
            }
        } else {
            out = [Float](repeating: 0, count: n * m * plane)
        }
        let beta: Float = bias == nil ? 0 : 1
        let direct = kh == 1 && kw == 1 && g.strides == (1, 1) && g.pads == (0, 0, 0, 0)
        // im2col writes every element, padding included.
        var col = [Float](unsafeUninitializedCapacity: direct ? 0 : k * plane) { _, n in n = direct ? 0 : k * plane }
        x.data.withUnsafeBufferPointer { xp in
            weight.data.withUnsafeBufferPointer { wp in
                out.withUnsafeMutableBufferPointer { op in
                    col.withUnsafeMutableBufferPointer { cp in
                        for img in 0..<n {
                            for grp in 0..<groups {
                                let src = xp.baseAddress! + (img * c + grp * cg) * h * w
                                let b: UnsafePointer<Float>
                                if direct {
                                    b = src
                                } else {
                                    im2col(src, channels: cg, h: h, w: w, window: g, into: cp.baseAddress!)
                                    b = UnsafePointer(cp.baseAddress!)
                                }
                                let dst = op.baseAddress! + (img * m + grp * mg) * plane
                                kira_sgemm(0, 0, mg, plane, k, 1, wp.baseAddress! + grp * mg * k, k, b, plane, beta, dst, plane)
                                if relu { clampNegative(dst, count: mg * plane) }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, m, g.outH, g.outW], data: out)
    }

    /// Rows (channel, ky, kx), columns (oy, ox); taps in the padding are 0.
    private static func im2col(_ src: UnsafePointer<Float>, channels: Int, h: Int, w: Int, window g: Window2D, into col: UnsafeMutablePointer<Float>) {
        let (kh, kw) = g.kernel
        let (sh, sw) = g.strides
        let (dh, dw) = g.dilations
        let (pt, pl) = (g.pads.0, g.pads.1)
        let plane = g.outH * g.outW
        var row = 0
        for ch in 0..<channels {
            let s = src + ch * h * w
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let d = col + row * plane
                    for oy in 0..<g.outH {
                        let iy = oy * sh - pt + ky * dh
                        let line = d + oy * g.outW
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
                            var taps = 0
                            for ky in 0..<g.kernel.0 {
                                let iy = y0 + ky * g.dilations.0
                                guard iy >= 0 && iy < h else { continue }
                                for kx in 0..<g.kernel.1 {
                                    let ix = x0 + kx * g.dilations.1
                                    guard ix >= 0 && ix < w else { continue }
                                    let v = s[iy * w + ix]
                                    if v > best { best = v }
                                    sum += v
                                    taps += 1
                                }
                            }
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

    /// max(x, 0), with NaN going to 0 as in ONNX Runtime.
    @inline(__always)
    private static func clampNegative(_ p: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count where !(p[i] > 0) { p[i] = 0 }
    }

    /// In place: the operators hand over tensors they own, so no copy is made.
    static func relu(_ x: inout Tensor) {
        x.ints = nil
        x.data.withUnsafeMutableBufferPointer { p in clampNegative(p.baseAddress!, count: p.count) }
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

    /// a + b with NumPy broadcasting onto `shape`, then ReLU if asked; written over `a` when
    /// the shapes are equal.
    static func add(_ a: inout Tensor, _ b: Tensor, shape: [Int], relu: Bool) -> Tensor {
        if a.shape == b.shape {
            var y = a.data
            a = Tensor(zeros: [0])
            b.data.withUnsafeBufferPointer { bp in
                y.withUnsafeMutableBufferPointer { yp in
                    if relu {
                        for i in 0..<yp.count { let v = yp[i] + bp[i]; yp[i] = v > 0 ? v : 0 }
                    } else {
                        for i in 0..<yp.count { yp[i] += bp[i] }
                    }
                }
            }
            return Tensor(shape: shape, data: y)
        }
        let ia = broadcastIndex(a.shape, to: shape), ib = broadcastIndex(b.shape, to: shape)
        var y = [Float](repeating: 0, count: shape.reduce(1, *))
        a.data.withUnsafeBufferPointer { ap in
            b.data.withUnsafeBufferPointer { bp in
                y.withUnsafeMutableBufferPointer { yp in
                    for i in 0..<yp.count { yp[i] = ap[ia[i]] + bp[ib[i]] }
                    if relu { clampNegative(yp.baseAddress!, count: yp.count) }
                }
            }
        }
        return Tensor(shape: shape, data: y)
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
