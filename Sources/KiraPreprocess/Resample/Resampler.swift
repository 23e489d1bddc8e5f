import Dispatch
import KiraCore

/// How a mask is carried onto a new grid.
public enum MaskInterpolation: Sendable, Equatable, Codable {
    case nearest
    /// IBSI: interpolate the 0/1 mask linearly and keep voxels whose fraction is at least `threshold`.
    case partialVolume(threshold: Double)
}

/// Resampling in physical space: each output voxel centre is mapped through the world
/// coordinates into the input grid, so direction cosines and origins of both grids are honoured.
public enum Resampler {
    /// Resamples every time point and component of `volume` onto `target`.
    /// Output voxels are Float32, or rounded to the nearest integer when `roundIntensities`
    /// (IBSI's CT configurations), still stored as Float32.
    public static func resample(_ volume: Volume, onto target: Geometry, interpolator: Interpolator,
                                outside: OutsidePolicy, roundIntensities: Bool = false) throws -> Volume {
        let errors = target.validationErrors()
        guard errors.isEmpty else {
            throw KiraError.invalidArgument("resampling target grid: " + errors.joined(separator: "; "))
        }
        let src = volume.geometry
        let nIn = src.voxelCount, nOut = target.voxelCount
        let planes = volume.timepoints * volume.components
        var out = [Float](repeating: 0, count: nOut * planes)
        var plane = [Double](repeating: 0, count: nIn)
        for t in 0..<volume.timepoints {
            for c in 0..<volume.components {
                extractPlane(volume, t: t, component: c, into: &plane)
                if interpolator == .bspline { BSplineCoefficients.convert(&plane, size: src.size) }
                let result = try resamplePlane(plane, from: src, onto: target, interpolator: interpolator, outside: outside)
                let offset = t * nOut * volume.components
                for i in 0..<nOut {
                    let v = roundIntensities ? result[i].rounded(.toNearestOrAwayFromZero) : result[i]
                    out[offset + i * volume.components + c] = Float(v)
                }
            }
        }
        var meta = volume.metadata
        meta["Resampled"] = .object([
            "Interpolator": .string(interpolator.rawValue),
            "Outside": .string(outside.name),
            "RoundedIntensities": .bool(roundIntensities),
        ])
        return try Volume(geometry: target, timepoints: volume.timepoints, components: volume.components,
                          voxels: .float32(out), metadata: meta)
    }

    /// Resamples a binary (0/1) mask; the result is a UInt8 0/1 mask on `target`.
    public static func resampleMask(_ mask: Volume, onto target: Geometry, method: MaskInterpolation) throws -> Volume {
        guard mask.timepoints == 1, mask.components == 1 else {
            throw KiraError.invalidArgument("a mask to resample must be one 3D scalar volume")
        }
        var plane = [Double](repeating: 0, count: mask.geometry.voxelCount)
        extractPlane(mask, t: 0, component: 0, into: &plane)
        for i in plane.indices { plane[i] = plane[i] != 0 ? 1 : 0 }
        let values: [Double]
        let threshold: Double
        switch method {
        case .nearest:
            values = try resamplePlane(plane, from: mask.geometry, onto: target, interpolator: .nearest, outside: .constant(0))
            threshold = 0.5
        case let .partialVolume(t):
            values = try resamplePlane(plane, from: mask.geometry, onto: target, interpolator: .linear, outside: .constant(0))
            threshold = t
        }
        // A tiny slack keeps 0.4999999… from a sum of weights out of a voxel that is exactly half in.
        let out = values.map { $0 >= threshold - 1e-12 ? UInt8(1) : UInt8(0) }
        var meta = mask.metadata
        switch method {
        case .nearest: meta["MaskResampling"] = .string("nearest")
        case let .partialVolume(t): meta["MaskResampling"] = .string("linear, partial volume ≥ \(t)")
        }
        return try Volume(geometry: target, voxels: .uint8(out), metadata: meta)
    }

    static func extractPlane(_ v: Volume, t: Int, component c: Int, into plane: inout [Double]) {
        let n = v.geometry.voxelCount, comps = v.components
        let base = t * n * comps + c
        func copy<T>(_ a: [T], _ conv: (T) -> Double) {
            a.withUnsafeBufferPointer { src in
                plane.withUnsafeMutableBufferPointer { dst in
                    for i in 0..<n { dst[i] = conv(src[base + i * comps]) }
                }
            }
        }
        switch v.voxels {
        case let .uint8(a): copy(a) { Double($0) }
        case let .int16(a): copy(a) { Double($0) }
        case let .uint16(a): copy(a) { Double($0) }
        case let .int32(a): copy(a) { Double($0) }
        case let .float32(a): copy(a) { Double($0) }
        case let .float64(a): copy(a) { $0 }
        }
    }

    /// Output index → input continuous index is affine: q = A·i + b, evaluated incrementally
    /// along each output row.
    static func resamplePlane(_ plane: [Double], from src: Geometry, onto dst: Geometry,
                              interpolator: Interpolator, outside: OutsidePolicy) throws -> [Double] {
        guard let inv = src.indexToPhysicalMatrix.inverse else {
            throw KiraError.invalidGeometry(path: "input image", reason: "its direction/spacing matrix is singular")
        }
        let a = inv * dst.indexToPhysicalMatrix
        let b = inv * (dst.origin - src.origin)
        let size = dst.size
        var out = [Double](repeating: 0, count: dst.voxelCount)
        plane.withUnsafeBufferPointer { values in
            out.withUnsafeMutableBufferPointer { o in
                let result = UncheckedPointer(o.baseAddress!)
                let sampler = Sampler(values: values, size: src.size, interpolator: interpolator, outside: outside)
                let rows = size.y * size.z
                parallelChunks(rows, chunks: 256) { range in
                    for row in range {
                        let y = row % size.y, z = row / size.y
                        let start = a * SIMD3(0, Double(y), Double(z)) + b
                        let step = a.c0
                        var i = row * size.x
                        for x in 0..<size.x {
                            result.p[i] = sampler.sample(start + step * Double(x))
                            i += 1
                        }
                    }
                }
            }
        }
        return out
    }
}
