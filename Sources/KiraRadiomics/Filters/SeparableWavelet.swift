import KiraCore

/// IBSI-2 undecimated separable wavelets: at level j the filters are dilated by 2^(j−1)
/// (à trous) and applied, one axis at a time, to the approximation of level j − 1; the image
/// is continued by `boundary`. Alignment as PyWavelets' `swtn` (y[n] = ∑_k f[k]·x[n + F·s/2 − k·s]
/// for dilation s), so periodic padding reproduces `pywt.swtn` exactly. Bands are named with one
/// letter per axis in x, y, z order (L low-pass, H high-pass). With rotation invariance each band
/// is pooled over the right-angle rotations of the image (rotate, decompose, rotate back).
enum SeparableWavelet {
    struct Settings {
        var wavelet: String, level: Int, dimensions: Int
        var boundary: BoundaryMode
        var bands: [String]?
        var rotationInvariant: Bool, pooling: Pooling
    }

    static func apply(_ image: Volume, _ s: Settings) throws -> [FilteredImage] {
        guard let bank = WaveletFilters.bank(s.wavelet) else {
            throw KiraError.invalidArgument("imageType Wavelet: parameter 'wavelet' '\(s.wavelet)' is not a known wavelet (known: \(WaveletFilters.names.joined(separator: ", ")))")
        }
        let input = try FilterGrid(image)
        let axes = Array(0..<s.dimensions)
        let rotations: [RightAngleRotation?] = s.rotationInvariant ? RightAngleRotation.all(dimensions: s.dimensions) : [nil]
        var pooled: [String: [[Double]]] = [:]
        var order: [String] = []
        for r in rotations {
            let rotated = r.map { input.rotated($0) } ?? input
            for band in decompose(rotated, bank: bank, level: s.level, axes: axes, boundary: s.boundary) {
                if let keep = s.bands, !keep.contains(band.name) { continue }
                if pooled[band.name] == nil { order.append(band.name) }
                pooled[band.name, default: []].append(r.map { band.grid.unrotated($0, to: input.size) }?.values ?? band.grid.values)
            }
        }
        return try order.map { name in
            let values = s.pooling.pool(pooled[name]!)
            return FilteredImage(prefix: prefix(s, band: name), image: try FilterGrid(size: input.size, values: values).volume(like: image))
        }
    }

    static func kernel(_ f: [Double], step: Int) -> LineKernel {
        LineKernel(taps: f, offsets: (0..<f.count).map { f.count * step / 2 - $0 * step })
    }

    /// The bands of the last level, approximation first.
    static func decompose(_ grid: FilterGrid, bank: (lo: [Double], hi: [Double]), level: Int, axes: [Int], boundary: BoundaryMode) -> [PyradiomicsWavelet.Band] {
        var data = grid
        for j in 1...level {
            let step = 1 << (j - 1)
            let lo = kernel(bank.lo, step: step), hi = kernel(bank.hi, step: step)
            if j < level {
                for a in axes { data.apply(lo, axis: a, boundary: boundary) }
                continue
            }
            var nodes = [PyradiomicsWavelet.Band(name: "", grid: data)]
            for a in axes {
                nodes = nodes.flatMap { node -> [PyradiomicsWavelet.Band] in
                    var l = node.grid, h = node.grid
                    l.apply(lo, axis: a, boundary: boundary)
                    h.apply(hi, axis: a, boundary: boundary)
                    return [.init(name: node.name + "L", grid: l), .init(name: node.name + "H", grid: h)]
                }
            }
            return nodes
        }
        return []
    }

    static func prefix(_ s: Settings, band: String) -> String {
        var p = "wavelet-ibsi-\(s.wavelet)"
        if s.level > 1 { p += "-level-\(s.level)" }
        if s.rotationInvariant { p += "-invariant-\(s.pooling.rawValue)" }
        return p + "-\(band)"
    }
}

extension FilterGrid {
    /// The grid seen through a right-angle rotation (axis a of the result is axis
    /// `source[a]` of this grid, reversed when `flip[a]`); axes beyond the rotation's stay.
    func rotated(_ r: RightAngleRotation) -> FilterGrid {
        var out = FilterGrid(size: size, values: values)
        let (src, flip) = Self.full(r)
        out.size = SIMD3(size[src[0]], size[src[1]], size[src[2]])
        Self.transfer(from: self, to: &out, src: src, flip: flip, forward: true)
        return out
    }

    /// The inverse of `rotated`: back to a grid of `original` size.
    func unrotated(_ r: RightAngleRotation, to original: SIMD3<Int>) -> FilterGrid {
        var out = FilterGrid(size: original, values: values)
        let (src, flip) = Self.full(r)
        Self.transfer(from: self, to: &out, src: src, flip: flip, forward: false)
        return out
    }

    private static func full(_ r: RightAngleRotation) -> ([Int], [Bool]) {
        var src = r.source, flip = r.flip
        while src.count < 3 { src.append(src.count); flip.append(false) }
        return (src, flip)
    }

    /// forward: rotated[i'] = original[i]; backward: original[i] = rotated[i'], where
    /// i[src[a]] = flip[a] ? n − 1 − i'[a] : i'[a].
    private static func transfer(from a: FilterGrid, to b: inout FilterGrid, src: [Int], flip: [Bool], forward: Bool) {
        let rot = forward ? b.size : a.size, orig = forward ? a.size : b.size
        for z in 0..<rot.z { for y in 0..<rot.y { for x in 0..<rot.x {
            let ip = SIMD3(x, y, z)
            var io = SIMD3(0, 0, 0)
            for k in 0..<3 { io[src[k]] = flip[k] ? rot[k] - 1 - ip[k] : ip[k] }
            let lr = (z * rot.y + y) * rot.x + x
            let lo = (io.z * orig.y + io.y) * orig.x + io.x
            if forward { b.values[lr] = a.values[lo] } else { b.values[lo] = a.values[lr] }
        } } }
    }
}
