import KiraCore

/// How an image continues beyond its edge (IBSI-2's padding modes; scipy.ndimage's
/// names in brackets): `constant` zeros ("constant", cval 0), `nearest` the edge value
/// ("nearest"), `periodic` wraps around ("wrap"), `mirror` reflects about the edge with the
/// edge voxel repeated, d c b a | a b c d ("reflect").
public enum BoundaryMode: String, Sendable, CaseIterable {
    case constant, nearest, periodic, mirror

    static let names = ["constant", "zero", "nearest", "periodic", "wrap", "mirror", "reflect", "symmetric"]

    static func parse(_ s: String) -> BoundaryMode? {
        switch s.lowercased() {
        case "constant", "zero": .constant
        case "nearest": .nearest
        case "periodic", "wrap": .periodic
        case "mirror", "reflect", "symmetric": .mirror
        default: nil
        }
    }

    /// Index of the voxel standing at `i` on a line of `n` voxels; nil for a zero.
    @inline(__always)
    func index(_ i: Int, _ n: Int) -> Int? {
        if i >= 0, i < n { return i }
        switch self {
        case .constant: return nil
        case .nearest: return i < 0 ? 0 : n - 1
        case .periodic:
            let r = i % n
            return r < 0 ? r + n : r
        case .mirror:
            let period = 2 * n
            var r = i % period
            if r < 0 { r += period }
            return r < n ? r : period - 1 - r
        }
    }
}

/// One 1D kernel applied along an axis as y[n] = ∑_k taps[k] · x[n + offsets[k]], the image
/// continued past its ends by `boundary`. Correlation, convolution, à-trous dilation and
/// PyWavelets' alignment are all expressed through the offsets.
struct LineKernel: Sendable {
    var taps: [Double]
    var offsets: [Int]

    /// Correlation with a centred kernel of odd length (scipy.ndimage.correlate1d).
    static func centred(_ w: [Double]) -> LineKernel {
        let r = w.count / 2
        return LineKernel(taps: w, offsets: (0..<w.count).map { $0 - r })
    }

    /// Convolution with a centred kernel of odd length (the kernel flipped).
    static func convolution(_ h: [Double]) -> LineKernel {
        let r = h.count / 2
        return LineKernel(taps: h, offsets: (0..<h.count).map { r - $0 })
    }
}

extension FilterGrid {
    /// Applies `kernel` along `axis` and keeps the outputs at `keep` along it (the result is
    /// this grid with that axis cut to `keep`): whole rows of lanes at a time, out row i =
    /// ∑_k tap_k · in row (i + offset_k). Terms that fall on a zero of the constant boundary
    /// are skipped, not added as ±0.
    func applying(_ kernel: LineKernel, axis: Int, boundary: BoundaryMode, keep: Range<Int>) -> FilterGrid {
        filterLines(axis, keep: keep, scratchPerLane: 0) { p, lanes, stride, n, out, outStride, _ in
            for i in keep {
                let o = out + (i - keep.lowerBound) * outStride
                for l in 0..<lanes { o[l] = 0 }
                for k in 0..<kernel.taps.count {
                    guard let j = boundary.index(i + kernel.offsets[k], n) else { continue }
                    // Pairs through SIMD2 (the compiler cannot rule out aliasing here).
                    let t2 = SIMD2(repeating: kernel.taps[k]), src = p + j * stride
                    var l = 0
                    while l + 1 < lanes {
                        Lane<SIMD2<Double>>.store(Lane<SIMD2<Double>>.load(o + l) + t2 * Lane<SIMD2<Double>>.load(src + l), o + l)
                        l += 2
                    }
                    if l < lanes { o[l] += kernel.taps[k] * src[l] }
                }
            }
        }
    }

    /// Applies `kernel` along `axis`.
    mutating func apply(_ kernel: LineKernel, axis: Int, boundary: BoundaryMode) {
        let n = size[axis]
        guard n > 0 else { return }
        if axis > 0 {
            self = applying(kernel, axis: axis, boundary: boundary, keep: 0..<n)
            return
        }
        let lo = min(0, kernel.offsets.min() ?? 0), hi = max(0, kernel.offsets.max() ?? 0)
        let pad0 = -lo, padded = n + pad0 + hi
        alongAxis(axis, scratchCount: padded) { line, ext in
            for i in 0..<padded {
                if let j = boundary.index(i - pad0, n) { ext[i] = line[j] } else { ext[i] = 0 }
            }
            kernel.taps.withUnsafeBufferPointer { taps in
                kernel.offsets.withUnsafeBufferPointer { offs in
                    for i in 0..<n {
                        var acc = 0.0
                        let c = i + pad0
                        for k in 0..<taps.count { acc += taps[k] * ext[c + offs[k]] }
                        line[i] = acc
                    }
                }
            }
        }
    }
}
