import KiraCore

/// pyradiomics' LoG image type: SimpleITK's LaplacianRecursiveGaussian with
/// normalizeAcrossScale, i.e. σ² ∑_d ∂²/∂x_d² of the Deriche-smoothed image, σ in mm.
/// ITK keeps its intermediate images in single precision; the same roundings are applied
/// here so the maps agree with pyradiomics to float precision, not just to the recursion's
/// approximation error.
enum RecursiveLoG {
    /// pyradiomics' size conditions, on the whole image.
    static func validate(_ image: Volume, sigma: Double) throws {
        let s = image.geometry.size, spacing = image.geometry.spacing
        guard s.x >= 4, s.y >= 4, s.z >= 4 else {
            throw KiraError.invalidArgument("imageType LoG: the image (\(s.x)×\(s.y)×\(s.z)) needs at least 4 voxels along every axis")
        }
        for a in 0..<3 where Double(s[a]) < (sigma / spacing[a]).rounded(.up) + 1 {
            throw KiraError.invalidArgument("imageType LoG: parameter 'sigma' \(sigma) mm is too large for the image (axis \(a): \(s[a]) voxels of \(spacing[a]) mm)")
        }
    }

    /// With `output`, only that box of the map is computed and returned (its voxels equal
    /// the whole-image map's bit for bit). Every pass keeps only the box's range along its
    /// axis, so each term's later passes run on an ever smaller grid.
    static func apply(_ image: Volume, sigma: Double, output: FilterRegion? = nil) throws -> Volume {
        try apply(try FilterGrid(image), like: image, sigma: sigma, output: output)
    }

    /// `input` holds `image`'s voxels (converted once for several σ).
    static func apply(_ input: FilterGrid, like image: Volume, sigma: Double, output: FilterRegion? = nil) throws -> Volume {
        let s = input.size
        let spacing = image.geometry.spacing
        guard s.x >= 4, s.y >= 4, s.z >= 4 else {
            throw KiraError.invalidArgument("imageType LoG: the image (\(s.x)×\(s.y)×\(s.z)) needs at least 4 voxels along every axis")
        }
        let box = output ?? FilterRegion(lo: .zero, size: s)
        var cumulative = [Double](repeating: 0, count: box.size.x * box.size.y * box.size.z)
        for d in 0..<3 {
            var work = input
            // ITK's order: the second derivative along d, then the other axes ascending.
            for (k, a) in ([d] + (0..<3).filter { $0 != d }).enumerated() {
                let filter = RecursiveGaussian(sigma: sigma, spacing: spacing[a], order: k == 0 ? .second : .zero, normalizeAcrossScale: true)
                work = pass(work, filter, axis: a, keep: box.lo[a]..<(box.lo[a] + box.size[a]))
            }
            let scale = 1.0 / (spacing[d] * spacing[d])
            work.values.withUnsafeBufferPointer { w in
                cumulative.withUnsafeMutableBufferPointer { c in
                    for i in 0..<c.count { c[i] = Double(Float(c[i] + w[i] * scale)) }
                }
            }
        }
        let like = output == nil ? image : try image.cropped(lo: box.lo, size: box.size)
        return try FilterGrid(size: box.size, values: cumulative).volume(like: like, float32: true)
    }

    /// One recursive pass along `axis`, the outputs at `keep` kept and rounded to single
    /// precision.
    static func pass(_ grid: FilterGrid, _ filter: RecursiveGaussian, axis: Int, keep: Range<Int>) -> FilterGrid {
        grid.filterLines(axis, keep: keep, scratchPerLane: 2 * grid.size[axis]) { p, lanes, stride, n, out, outStride, scratch in
            filter.apply(lanes: p, lanes, stride: stride, n, out: out, outStride: outStride, keep: keep, scratch: scratch, roundToFloat: true)
        }
    }

    /// pyradiomics' name for one σ: Python's `str(sigma)` with '.' → '-', so `2.0` gives
    /// `log-sigma-2-0-mm-3D` and an integer `2` gives `log-sigma-2-mm-3D`.
    static func prefix(_ sigma: MetaValue) -> String {
        let text: String
        switch sigma {
        case let .integer(i): text = "\(i)"
        case let .number(d): text = pythonFloat(d)
        default: text = "\(sigma.doubleValue ?? 0)"
        }
        return "log-sigma-\(text.replacingOccurrences(of: ".", with: "-"))-mm-3D"
    }

    /// Python's repr of a float for the usual settings values (2.0 → "2.0", 0.5 → "0.5").
    static func pythonFloat(_ d: Double) -> String {
        var s = "\(d)"
        if s.contains("e"), !s.contains("e-") { s = s.replacingOccurrences(of: "e", with: "e+") }
        return s
    }
}
