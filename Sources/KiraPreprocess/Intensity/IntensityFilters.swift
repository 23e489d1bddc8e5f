import KiraCore

/// Intensity preprocessing used before habitats and features: z-score normalisation and
/// box-kernel mean / median denoising. Results are Float32 volumes on the same grid.
public enum IntensityFilters {
    /// (v − mean) / SD with the population SD (as pyradiomics' `normalize` and numpy's default),
    /// the statistics taken over the whole image or over the mask's non-zero voxels.
    public static func zScore(_ v: Volume, mask: Volume? = nil) throws -> Volume {
        try requireScalar3D(v, "z-score")
        let n = v.geometry.voxelCount
        if let mask, mask.geometry.voxelCount != n {
            throw KiraError.invalidArgument("z-score: the mask has \(mask.geometry.voxelCount) voxels, the image \(n)")
        }
        let values = v.voxels.toDoubles()
        var count = 0.0, mean = 0.0, m2 = 0.0
        for i in 0..<n where mask == nil || mask!.voxels[i] != 0 {
            count += 1
            let d = values[i] - mean
            mean += d / count
            m2 += d * (values[i] - mean)
        }
        guard count > 0 else { throw KiraError.invalidArgument("z-score: the mask is empty") }
        let sd = (m2 / count).squareRoot()
        guard sd > 0 else { throw KiraError.invalidArgument("z-score: the intensities are constant (SD 0); nothing to normalise") }
        var out = try Volume(geometry: v.geometry, voxels: .float32(values.map { Float(($0 - mean) / sd) }), metadata: v.metadata)
        out.metadata["ZScore"] = .object(["Mean": .number(mean), "SD": .number(sd), "Region": .string(mask == nil ? "image" : "mask")])
        return out
    }

    /// Kernel half-widths in voxels from a kernel size in mm: the largest odd voxel count
    /// whose extent does not exceed `mm`, at least one voxel (half-width 0).
    public static func halfWidths(kernelMM mm: Double, spacing: SIMD3<Double>) -> SIMD3<Int> {
        SIMD3((0..<3).map { a in max(0, (Int((mm / spacing[a] + 1e-9).rounded(.down)) - 1) / 2) })
    }

    public enum Statistic: String, Sendable, CaseIterable { case mean, median }

    /// Box filter of (2h+1) voxels per axis; the image is extended with its edge values
    /// (scipy.ndimage's mode "nearest").
    public static func filter(_ v: Volume, halfWidth h: SIMD3<Int>, statistic: Statistic) throws -> Volume {
        try requireScalar3D(v, "\(statistic.rawValue) filter")
        let s = v.geometry.size
        let values = v.voxels.toDoubles()
        var out = [Float](repeating: 0, count: values.count)
        let result = UncheckedFloatPointer(out.withUnsafeMutableBufferPointer { $0.baseAddress! })
        values.withUnsafeBufferPointer { src in
            let input = UncheckedConstPointer(src.baseAddress!)
            parallelChunks(s.z) { zs in
                var window = [Double]()
                window.reserveCapacity((2 * h.x + 1) * (2 * h.y + 1) * (2 * h.z + 1))
                for z in zs { for y in 0..<s.y { for x in 0..<s.x {
                    window.removeAll(keepingCapacity: true)
                    for dz in -h.z...h.z {
                        let zz = min(max(z + dz, 0), s.z - 1)
                        for dy in -h.y...h.y {
                            let yy = min(max(y + dy, 0), s.y - 1)
                            let row = (zz * s.y + yy) * s.x
                            for dx in -h.x...h.x { window.append(input.p[row + min(max(x + dx, 0), s.x - 1)]) }
                        }
                    }
                    let value: Double
                    switch statistic {
                    case .mean: value = window.reduce(0, +) / Double(window.count)
                    case .median:
                        window.sort()
                        let m = window.count / 2
                        value = window.count % 2 == 1 ? window[m] : 0.5 * (window[m - 1] + window[m])
                    }
                    result.p[(z * s.y + y) * s.x + x] = Float(value)
                } } }
            }
        }
        var meta = v.metadata
        meta["Filter"] = .object(["Statistic": .string(statistic.rawValue),
                                  "KernelVoxels": .array([h.x, h.y, h.z].map { .integer(2 * $0 + 1) })])
        return try Volume(geometry: v.geometry, voxels: .float32(out), metadata: meta)
    }

    /// Resizes a 2D image (z = 1) to a fixed matrix, keeping its physical extent and centre:
    /// the new spacing is extent / new size, sampled with `interpolator`.
    public static func resize2D(_ v: Volume, width: Int, height: Int, interpolator: Interpolator = .linear) throws -> Volume {
        guard v.geometry.size.z == 1 else {
            throw KiraError.invalidArgument("resize: a fixed matrix applies to 2D images; this one has \(v.geometry.size.z) slices")
        }
        guard width > 0, height > 0 else { throw KiraError.invalidArgument("resize: the matrix must be positive, got \(width)×\(height)") }
        let g = v.geometry
        var target = g
        target.size = [width, height, 1]
        target.spacing = [g.spacing.x * Double(g.size.x) / Double(width), g.spacing.y * Double(g.size.y) / Double(height), g.spacing.z]
        // The first new voxel centre sits half a new voxel inside the old image's outer edge.
        let start = SIMD3(-0.5 + 0.5 * target.spacing.x / g.spacing.x, -0.5 + 0.5 * target.spacing.y / g.spacing.y, 0)
        target.origin = g.physicalPoint(index: start)
        return try Resampler.resample(v, onto: target, interpolator: interpolator, outside: .nearestEdge)
    }

    static func requireScalar3D(_ v: Volume, _ what: String) throws {
        guard v.timepoints == 1, v.components == 1 else {
            throw KiraError.invalidArgument("\(what) needs a 3D grey-level image; this one has \(v.timepoints) time points and \(v.components) components")
        }
    }
}

struct UncheckedConstPointer: @unchecked Sendable {
    let p: UnsafePointer<Double>
    init(_ p: UnsafePointer<Double>) { self.p = p }
}
