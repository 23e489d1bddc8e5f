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
    ///
    /// With `output`, only that box of every band is computed, on a block of the padded image
    /// around it (the box grown by the filters' reach, read with the padded image's
    /// periodicity, an axis kept whole when the block would cover it). Each output voxel sums
    /// the same taps over the same voxels as on the whole image, so the box equals the
    /// whole-image bands bit for bit; such maps carry `cropIndex` = the box's corner.
    static func apply(_ image: Volume, wavelet: String, startLevel: Int, levels: Int, axes: [Int],
                      output: FilterRegion? = nil) throws -> [FilteredImage] {
        guard let bank = WaveletFilters.bank(wavelet) else {
            throw KiraError.invalidArgument("imageType Wavelet: parameter 'wavelet' '\(wavelet)' is not a known wavelet (known: \(WaveletFilters.names.joined(separator: ", ")))")
        }
        try FilterGrid.requireScalar3D(image)
        let box = output ?? FilterRegion(lo: .zero, size: image.geometry.size)
        let s = image.geometry.size
        let period = SIMD3(s.x + s.x % 2, s.y + s.y % 2, s.z + s.z % 2)
        let reach = bank.lo.count * (startLevel + levels)
        var block = FilterRegion(lo: .zero, size: period)
        for a in axes where box.size[a] + 2 * reach < period[a] {
            block.lo[a] = box.lo[a] - reach
            block.size[a] = box.size[a] + 2 * reach
        }
        // The block's voxels: padded index q (periodic over `period`) holds original q mod size.
        var values: [Double]
        if (0..<3).allSatisfy({ block.lo[$0] >= 0 && block.lo[$0] + block.size[$0] <= s[$0] }) {
            values = image.voxels.doubles(box: block.lo, size: block.size, gridSize: s)
        } else {
            func source(_ i: Int, _ a: Int) -> Int {
                var q = (block.lo[a] + i) % period[a]
                if q < 0 { q += period[a] }
                return q % s[a]
            }
            let all = image.voxels.toDoubles()
            let xs = (0..<block.size.x).map { source($0, 0) }
            values = []
            values.reserveCapacity(block.size.x * block.size.y * block.size.z)
            for z in 0..<block.size.z {
                let sz = source(z, 2)
                for y in 0..<block.size.y {
                    let row = (sz * s.y + source(y, 1)) * s.x
                    for x in xs { values.append(all[row + x]) }
                }
            }
        }
        var data = FilterGrid(size: block.size, values: values)
        let lo = kernel(bank.lo), hi = kernel(bank.hi)
        for _ in 0..<startLevel { data = approximation(data, lo: lo, axes: axes) }
        let like = output == nil ? image : try image.cropped(lo: box.lo, size: box.size)
        let cropIndex = output == nil ? nil : box.lo
        let offset = box.lo &- block.lo
        // The last level's bands are already cut to the box along the decomposed axes.
        var keptOffset = offset
        for a in axes { keptOffset[a] = 0 }
        func cut(_ g: FilterGrid, kept: Bool) throws -> Volume {
            let offset = kept ? keptOffset : offset
            if g.size == box.size && offset == .zero { return try g.volume(like: like) }
            var out = [Double](repeating: 0, count: box.size.x * box.size.y * box.size.z)
            var k = 0
            for z in 0..<box.size.z { for y in 0..<box.size.y {
                let row = ((offset.z + z) * g.size.y + offset.y + y) * g.size.x + offset.x
                for x in 0..<box.size.x { out[k] = g.values[row + x]; k += 1 }
            } }
            return try FilterGrid(size: box.size, values: out).volume(like: like)
        }
        var out: [FilteredImage] = []
        // The last level's passes keep only the box along their axis (no later pass reads
        // past it); earlier levels' approximations feed the next level whole.
        let inBox = (0..<3).map { offset[$0]..<(offset[$0] + box.size[$0]) }
        for idx in 1...levels {
            let bands = decompose(data, lo: lo, hi: hi, axes: axes, keep: idx == levels ? inBox : nil)
            for band in bands.dropFirst() {
                let prefix = idx == 1 ? "wavelet-\(band.name)" : "wavelet\(idx)-\(band.name)"
                out.append(FilteredImage(prefix: prefix, image: try cut(band.grid, kept: idx == levels), cropIndex: cropIndex))
            }
            data = bands[0].grid
        }
        let approx = String(repeating: "L", count: axes.count)
        let prefix = levels == 1 ? "wavelet-\(approx)" : "wavelet\(levels)-\(approx)"
        out.append(FilteredImage(prefix: prefix, image: try cut(data, kept: true), cropIndex: cropIndex))
        return out
    }

    static func kernel(_ f: [Double]) -> LineKernel {
        LineKernel(taps: f, offsets: (0..<f.count).map { f.count / 2 - $0 })
    }

    /// All 2^d bands in PyWavelets' key order (first letter = first axis), approximation first.
    /// With `keep`, each pass keeps only that range along its axis. Depth first (low before
    /// high at each axis gives the same order), so only one partial band per axis is held
    /// besides the finished ones.
    static func decompose(_ grid: FilterGrid, lo: LineKernel, hi: LineKernel, axes: [Int], keep: [Range<Int>]? = nil) -> [Band] {
        var bands: [Band] = []
        func split(_ node: Band, _ k: Int) {
            guard k < axes.count else { bands.append(node); return }
            // Periodic: no term is ever skipped, so every axis can go through the row form.
            let axis = axes[k]
            let range = keep?[axis] ?? 0..<node.grid.size[axis]
            split(Band(name: node.name + "L", grid: node.grid.applying(lo, axis: axis, boundary: .periodic, keep: range)), k + 1)
            split(Band(name: node.name + "H", grid: node.grid.applying(hi, axis: axis, boundary: .periodic, keep: range)), k + 1)
        }
        split(Band(name: "", grid: grid), 0)
        return bands
    }

    static func approximation(_ grid: FilterGrid, lo: LineKernel, axes: [Int]) -> FilterGrid {
        var g = grid
        for axis in axes { g.apply(lo, axis: axis, boundary: .periodic) }
        return g
    }
}
