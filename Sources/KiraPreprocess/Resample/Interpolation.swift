/// How intensities between voxel centres are estimated.
public enum Interpolator: String, Sendable, CaseIterable, Codable {
    case nearest
    case linear
    /// Cubic B-spline on prefiltered coefficients (the interpolating spline, as ITK and scipy use).
    case bspline
}

/// What a sample outside the original grid takes.
public enum OutsidePolicy: Sendable, Equatable, Codable {
    /// ITK's rule: points within half a voxel of the edge use the edge voxels; farther out
    /// they take this constant (SimpleITK's default pixel value is 0).
    case constant(Double)
    /// IBSI's rule: the image is extended with its edge values, so the grid border is extrapolated.
    case nearestEdge

    public var name: String {
        switch self {
        case let .constant(v): "constant \(v)"
        case .nearestEdge: "nearest edge value"
        }
    }
}

/// Samples one 3D scalar array (x fastest) at continuous indices. The interpolation is
/// separable, so each axis contributes its own indices and weights.
struct Sampler: @unchecked Sendable {
    let values: UnsafeBufferPointer<Double>
    let size: SIMD3<Int>
    let interpolator: Interpolator
    let outside: OutsidePolicy

    /// Neighbour indices and weights along one axis; at most 4 (cubic).
    @usableFromInline
    struct Taps {
        var index = SIMD4<Int>(repeating: 0)
        var weight = SIMD4<Double>(repeating: 0)
        var count = 0
    }

    @inline(__always)
    func taps(_ c: Double, _ n: Int) -> Taps {
        var t = Taps()
        switch interpolator {
        case .nearest:
            // ITK rounds half-integers up.
            let i = min(max(Int((c + 0.5).rounded(.down)), 0), n - 1)
            t.index[0] = i; t.weight[0] = 1; t.count = 1
        case .linear:
            let f = c.rounded(.down)
            let w = c - f
            let i = Int(f)
            t.index = SIMD4(min(max(i, 0), n - 1), min(max(i + 1, 0), n - 1), 0, 0)
            t.weight = SIMD4(1 - w, w, 0, 0)
            t.count = 2
        case .bspline:
            var x = c
            if case .nearestEdge = outside { x = min(max(c, 0), Double(n - 1)) }
            let f = x.rounded(.down)
            let u = x - f
            let i = Int(f)
            let u2 = u * u, u3 = u2 * u
            let om = 1 - u
            t.weight = SIMD4(om * om * om / 6, (4 - 6 * u2 + 3 * u3) / 6, (1 + 3 * u + 3 * u2 - 3 * u3) / 6, u3 / 6)
            t.index = SIMD4(Self.mirror(i - 1, n), Self.mirror(i, n), Self.mirror(i + 1, n), Self.mirror(i + 2, n))
            t.count = 4
        }
        return t
    }

    /// Whole-sample symmetric extension, the boundary the B-spline coefficients were computed with.
    @inline(__always)
    static func mirror(_ k: Int, _ n: Int) -> Int {
        if n == 1 { return 0 }
        let period = 2 * n - 2
        var m = abs(k) % period
        if m >= n { m = period - m }
        return m
    }

    @inline(__always)
    func inside(_ c: SIMD3<Double>) -> Bool {
        c.x >= -0.5 && c.x < Double(size.x) - 0.5 && c.y >= -0.5 && c.y < Double(size.y) - 0.5
            && c.z >= -0.5 && c.z < Double(size.z) - 0.5
    }

    @inline(__always)
    func sample(_ c: SIMD3<Double>) -> Double {
        var p = c
        switch outside {
        case let .constant(v):
            if !inside(c) { return v }
        case .nearestEdge:
            if interpolator != .bspline {
                p = SIMD3(min(max(c.x, 0), Double(size.x - 1)), min(max(c.y, 0), Double(size.y - 1)),
                          min(max(c.z, 0), Double(size.z - 1)))
            }
        }
        let tx = taps(p.x, size.x), ty = taps(p.y, size.y), tz = taps(p.z, size.z)
        let sx = size.x, sxy = size.x * size.y
        var acc = 0.0
        for a in 0..<tz.count {
            let zo = tz.index[a] * sxy
            var accY = 0.0
            for b in 0..<ty.count {
                let row = zo + ty.index[b] * sx
                var accX = 0.0
                for c in 0..<tx.count { accX += tx.weight[c] * values[row + tx.index[c]] }
                accY += ty.weight[b] * accX
            }
            acc += tz.weight[a] * accY
        }
        return acc
    }
}
