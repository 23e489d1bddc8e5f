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

    static func apply(_ image: Volume, sigma: Double) throws -> Volume {
        let input = try FilterGrid(image)
        let s = input.size
        let spacing = image.geometry.spacing
        guard s.x >= 4, s.y >= 4, s.z >= 4 else {
            throw KiraError.invalidArgument("imageType LoG: the image (\(s.x)×\(s.y)×\(s.z)) needs at least 4 voxels along every axis")
        }
        var cumulative = [Double](repeating: 0, count: input.count)
        for d in 0..<3 {
            var work = input
            pass(&work, RecursiveGaussian(sigma: sigma, spacing: spacing[d], order: .second, normalizeAcrossScale: true), axis: d)
            for a in 0..<3 where a != d {
                pass(&work, RecursiveGaussian(sigma: sigma, spacing: spacing[a], order: .zero, normalizeAcrossScale: true), axis: a)
            }
            let scale = 1.0 / (spacing[d] * spacing[d])
            work.values.withUnsafeBufferPointer { w in
                cumulative.withUnsafeMutableBufferPointer { c in
                    for i in 0..<c.count { c[i] = Double(Float(c[i] + w[i] * scale)) }
                }
            }
        }
        return try FilterGrid(size: s, values: cumulative).volume(like: image, float32: true)
    }

    /// One recursive pass along `axis`, the result rounded to single precision.
    static func pass(_ grid: inout FilterGrid, _ filter: RecursiveGaussian, axis: Int) {
        grid.alongAxisLanes(axis, scratchPerLane: 2 * grid.size[axis]) { p, lanes, stride, n, scratch in
            filter.apply(lanes: p, lanes, stride: stride, n, scratch: scratch, roundToFloat: true)
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
