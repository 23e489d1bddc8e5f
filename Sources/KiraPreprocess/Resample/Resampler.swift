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
        try AllocationBudget.check("resampled image", size: target.size, planes: planes, elementBytes: MemoryLayout<Float>.size)
        var out = [Float](unsafeUninitializedCapacity: nOut * planes) { _, n in n = nOut * planes }
        let store: StoreRule = roundIntensities ? .rounded : .plain
        for t in 0..<volume.timepoints {
            for c in 0..<volume.components {
                let offset = t * nOut * volume.components + c
                try out.withUnsafeMutableBufferPointer { o in
                    let dst = o.baseAddress! + offset
                    // Scalar images are sampled in their own type; B-spline coefficients and
                    // colour planes need a Double copy.
                    if interpolator != .bspline && volume.components == 1 {
                        let range = (t * nIn)..<((t + 1) * nIn)
                        func direct<T: VoxelScalar>(_ a: [T]) throws {
                            try a.withUnsafeBufferPointer { b in
                                try resamplePlane(UnsafeBufferPointer(rebasing: b[range]), from: src, onto: target,
                                                  interpolator: interpolator, outside: outside, store: store,
                                                  into: dst, stride: volume.components)
                            }
                        }
                        switch volume.voxels {
                        case let .uint8(a): try direct(a)
                        case let .int16(a): try direct(a)
                        case let .uint16(a): try direct(a)
                        case let .int32(a): try direct(a)
                        case let .float32(a): try direct(a)
                        case let .float64(a): try direct(a)
                        }
                        return
                    }
                    var plane = [Double](repeating: 0, count: nIn)
                    extractPlane(volume, t: t, component: c, into: &plane)
                    if interpolator == .bspline { BSplineCoefficients.convert(&plane, size: src.size) }
                    try plane.withUnsafeBufferPointer { b in
                        try resamplePlane(b, from: src, onto: target, interpolator: interpolator, outside: outside,
                                          store: store, into: dst, stride: volume.components)
                    }
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
        try AllocationBudget.check("resampled mask", size: target.size, elementBytes: MemoryLayout<Float>.size)
        var plane = [Double](repeating: 0, count: mask.geometry.voxelCount)
        extractPlane(mask, t: 0, component: 0, into: &plane)
        for i in plane.indices { plane[i] = plane[i] != 0 ? 1 : 0 }
        var values = [Float](repeating: 0, count: target.voxelCount)
        let interpolator: Interpolator
        let threshold: Double
        switch method {
        case .nearest: interpolator = .nearest; threshold = 0.5
        case let .partialVolume(t): interpolator = .linear; threshold = t
        }
        try values.withUnsafeMutableBufferPointer { o in
            try plane.withUnsafeBufferPointer { b in
                try resamplePlane(b, from: mask.geometry, onto: target, interpolator: interpolator, outside: .constant(0),
                                  store: .threshold(threshold), into: o.baseAddress!, stride: 1)
            }
        }
        let out = values.map { $0 != 0 ? UInt8(1) : UInt8(0) }
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

    /// How a sampled value is stored.
    enum StoreRule {
        case plain
        case rounded
        /// 1 when the value reaches the threshold, else 0. A tiny slack keeps 0.4999999… from
        /// a sum of weights at a voxel that is exactly half inside.
        case threshold(Double)
    }

    /// Output index → input continuous index is affine: q = A·i + b, evaluated incrementally
    /// along each output row. Results go to `into[i * stride]`.
    static func resamplePlane<T: VoxelScalar>(_ values: UnsafeBufferPointer<T>, from src: Geometry, onto dst: Geometry,
                              interpolator: Interpolator, outside: OutsidePolicy,
                              store: StoreRule, into output: UnsafeMutablePointer<Float>, stride: Int) throws {
        guard let inv = src.indexToPhysicalMatrix.inverse else {
            throw KiraError.invalidGeometry(path: "input image", reason: "its direction/spacing matrix is singular")
        }
        let a = inv * dst.indexToPhysicalMatrix
        let b = inv * (dst.origin - src.origin)
        let size = dst.size
        let result = UncheckedFloatPointer(output)
        do {
            let sampler = Sampler(values: values, size: src.size, interpolator: interpolator, outside: outside)
            let rows = size.y * size.z
            parallelChunks(rows, chunks: 256) { range in
                for row in range {
                    let y = row % size.y, z = row / size.y
                    let start = a * SIMD3(0, Double(y), Double(z)) + b
                    let step = a.c0
                    // Voxels whose whole neighbourhood lies inside the input take the fast
                    // kernel without clamps or bounds tests; the rest take the general sampler.
                    let interior = Self.interiorRange(start: start, step: step, count: size.x, inputSize: src.size,
                                                      interpolator: interpolator)
                    var i = row * size.x * stride
                    for x in 0..<size.x {
                        let c = start + step * Double(x)
                        let v: Double
                        if interior.contains(x) {
                            v = interpolator == .linear ? sampler.linearInterior(c) : sampler.nearestInterior(c)
                        } else {
                            v = sampler.sample(c)
                        }
                        switch store {
                        case .plain: result.p[i] = Float(v)
                        case .rounded: result.p[i] = Float(v.rounded(.toNearestOrAwayFromZero))
                        case let .threshold(t): result.p[i] = v >= t - 1e-12 ? 1 : 0
                        }
                        i &+= stride
                    }
                }
            }
        }
    }
}

extension Resampler {
    /// The x values of one output row whose sample point c = start + step·x lies where the
    /// interior kernels need no clamping: [0, n−1) per axis for linear, [−0.5, n−0.5) for
    /// nearest. Empty for B-spline, whose mirror taps always take the general path.
    static func interiorRange(start: SIMD3<Double>, step: SIMD3<Double>, count: Int, inputSize: SIMD3<Int>,
                              interpolator: Interpolator) -> Range<Int> {
        guard interpolator != .bspline else { return 0..<0 }
        var lo = 0.0, hi = Double(count - 1)
        for a in 0..<3 {
            // A margin of 1e-6 voxel keeps rounding at the boundary on the general path.
            let (minC, maxC) = interpolator == .linear
                ? (1e-6, Double(inputSize[a] - 1) - 1e-6)
                : (-0.5 + 1e-6, Double(inputSize[a]) - 0.5 - 1e-6)
            if abs(step[a]) < 1e-15 {
                if start[a] < minC || start[a] > maxC { return 0..<0 }
                continue
            }
            var t0 = (minC - start[a]) / step[a], t1 = (maxC - start[a]) / step[a]
            if t0 > t1 { swap(&t0, &t1) }
            lo = max(lo, t0); hi = min(hi, t1)
        }
        guard lo <= hi else { return 0..<0 }
        let a = Int(lo.rounded(.up)), b = Int(hi.rounded(.down))
        return a <= b ? a..<(b + 1) : 0..<0
    }
}

/// A raw output pointer handed to concurrent workers that write disjoint elements.
struct UncheckedFloatPointer: @unchecked Sendable {
    let p: UnsafeMutablePointer<Float>
    init(_ p: UnsafeMutablePointer<Float>) { self.p = p }
}
