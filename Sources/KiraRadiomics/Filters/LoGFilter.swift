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
        try apply(image, sigmas: [sigma], output: output)[0]
    }

    /// One map per σ. Each term's first pass runs over the whole image, so the σ share it:
    /// every block of lines is read once, straight from the stored voxels, and filtered at
    /// each σ while it is in cache.
    static func apply(_ image: Volume, sigmas: [Double], output: FilterRegion? = nil) throws -> [Volume] {
        try FilterGrid.requireScalar3D(image)
        let s = image.geometry.size
        let spacing = image.geometry.spacing
        guard s.x >= 4, s.y >= 4, s.z >= 4 else {
            throw KiraError.invalidArgument("imageType LoG: the image (\(s.x)×\(s.y)×\(s.z)) needs at least 4 voxels along every axis")
        }
        let box = output ?? FilterRegion(lo: .zero, size: s)
        let keep = (0..<3).map { box.lo[$0]..<(box.lo[$0] + box.size[$0]) }
        var cumulative = sigmas.map { _ in [Double](repeating: 0, count: box.size.x * box.size.y * box.size.z) }
        for d in 0..<3 {
            // ITK's order: the second derivative along d, then the other axes ascending. Every
            // pass rounds to single precision (ITK's float images), so the intermediate grids
            // are stored as floats.
            let axes = [d] + (0..<3).filter { $0 != d }
            // The first two passes go plane by plane, so that the first one's output (cut
            // along d only) is never held whole.
            let (a, b, last) = (axes[0], axes[1], axes[2])
            let first = sigmas.map { RecursiveGaussian(sigma: $0, spacing: spacing[a], order: .second, normalizeAcrossScale: true) }
            let second = sigmas.map { RecursiveGaussian(sigma: $0, spacing: spacing[b], order: .zero, normalizeAcrossScale: true) }
            let planes = FilterGrid.filterPlanes(image.voxels, size: s, first: a, second: b, keep: keep,
                                                 scratchPerLane: 2 * max(s[a], s[b]),
                                                 firstBodies: first.map { body($0, keep: keep[a]) },
                                                 secondBodies: second.map { body($0, keep: keep[b]) })
            var size = s
            size[a] = keep[a].count
            size[b] = keep[b].count
            for (k, sigma) in sigmas.enumerated() {
                let filter = RecursiveGaussian(sigma: sigma, spacing: spacing[last], order: .zero, normalizeAcrossScale: true)
                let work = FilterGrid.filterLines(planes[k], size: size, last, keep: keep[last], scratchPerLane: 2 * size[last],
                                                  bodies: [body(filter, keep: keep[last])], float32: true)[0]
                guard case let .float32(values) = work else { preconditionFailure("float passes were asked for") }
                let scale = 1.0 / (spacing[d] * spacing[d])
                values.withUnsafeBufferPointer { w in
                    cumulative[k].withUnsafeMutableBufferPointer { c in
                        for i in 0..<c.count { c[i] = Double(Float(c[i] + Double(w[i]) * scale)) }
                    }
                }
            }
        }
        let like = output == nil ? image : try image.cropped(lo: box.lo, size: box.size)
        return try cumulative.map { try FilterGrid(size: box.size, values: $0).volume(like: like, float32: true) }
    }

    private static func body(_ filter: RecursiveGaussian, keep: Range<Int>) -> FilterGrid.LaneBody {
        { p, lanes, stride, n, out, outStride, scratch in
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
