import KiraCore

/// pyradiomics' Wavelet image type: PyWavelets' undecimated `swtn` at level 1, one axis at a
/// time (periodic, PyWavelets' alignment y[n] = ∑_j f[j] x[n + F/2 − j]). Odd axes are first
/// padded with one wrapped voxel and cropped afterwards, as pyradiomics does. Further levels
/// re-apply the same (not dilated) filters to the approximation, which is what pyradiomics'
/// `start_level`/`level` loop computes. Names: `wavelet-LLH` … (letters x, y, z), later
/// levels `wavelet2-LLH`, the last approximation `wavelet-LLL` (`waveletN-LLL` for N levels).
enum PyradiomicsWavelet {
    struct Band {
        var name: String
        var grid: FilterGrid
    }

    /// `axes`: the image axes (0 = x, 1 = y, 2 = z) decomposed, in name order.
    static func apply(_ image: Volume, wavelet: String, startLevel: Int, levels: Int, axes: [Int]) throws -> [FilteredImage] {
        guard let bank = WaveletFilters.bank(wavelet) else {
            throw KiraError.invalidArgument("imageType Wavelet: parameter 'wavelet' '\(wavelet)' is not a known wavelet (known: \(WaveletFilters.names.joined(separator: ", ")))")
        }
        let input = try FilterGrid(image)
        let original = input.size
        var data = pad(input)
        let lo = kernel(bank.lo), hi = kernel(bank.hi)
        for _ in 0..<startLevel { data = approximation(data, lo: lo, axes: axes) }
        var out: [FilteredImage] = []
        for idx in 1...levels {
            let bands = decompose(data, lo: lo, hi: hi, axes: axes)
            for band in bands.dropFirst() {
                let prefix = idx == 1 ? "wavelet-\(band.name)" : "wavelet\(idx)-\(band.name)"
                out.append(FilteredImage(prefix: prefix, image: try crop(band.grid, to: original).volume(like: image)))
            }
            data = bands[0].grid
        }
        let approx = String(repeating: "L", count: axes.count)
        let prefix = levels == 1 ? "wavelet-\(approx)" : "wavelet\(levels)-\(approx)"
        out.append(FilteredImage(prefix: prefix, image: try crop(data, to: original).volume(like: image)))
        return out
    }

    static func kernel(_ f: [Double]) -> LineKernel {
        LineKernel(taps: f, offsets: (0..<f.count).map { f.count / 2 - $0 })
    }

    /// All 2^d bands in PyWavelets' key order (first letter = first axis), approximation first.
    static func decompose(_ grid: FilterGrid, lo: LineKernel, hi: LineKernel, axes: [Int]) -> [Band] {
        var nodes = [Band(name: "", grid: grid)]
        for axis in axes {
            var next: [Band] = []
            for node in nodes {
                var l = node.grid, h = node.grid
                l.apply(lo, axis: axis, boundary: .periodic)
                h.apply(hi, axis: axis, boundary: .periodic)
                next.append(Band(name: node.name + "L", grid: l))
                next.append(Band(name: node.name + "H", grid: h))
            }
            nodes = next
        }
        return nodes
    }

    static func approximation(_ grid: FilterGrid, lo: LineKernel, axes: [Int]) -> FilterGrid {
        var g = grid
        for axis in axes { g.apply(lo, axis: axis, boundary: .periodic) }
        return g
    }

    /// One wrapped voxel appended to each odd axis (numpy.pad mode "wrap").
    static func pad(_ g: FilterGrid) -> FilterGrid {
        let s = g.size
        let p = SIMD3(s.x + s.x % 2, s.y + s.y % 2, s.z + s.z % 2)
        if p == s { return g }
        var values = [Double](repeating: 0, count: p.x * p.y * p.z)
        for z in 0..<p.z { for y in 0..<p.y {
            let src = ((z % s.z) * s.y + y % s.y) * s.x
            let dst = (z * p.y + y) * p.x
            for x in 0..<p.x { values[dst + x] = g.values[src + x % s.x] }
        } }
        return FilterGrid(size: p, values: values)
    }

    static func crop(_ g: FilterGrid, to s: SIMD3<Int>) -> FilterGrid {
        if g.size == s { return g }
        var values = [Double](repeating: 0, count: s.x * s.y * s.z)
        for z in 0..<s.z { for y in 0..<s.y {
            let src = (z * g.size.y + y) * g.size.x
            let dst = (z * s.y + y) * s.x
            for x in 0..<s.x { values[dst + x] = g.values[src + x] }
        } }
        return FilterGrid(size: s, values: values)
    }
}
