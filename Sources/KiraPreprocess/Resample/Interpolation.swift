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

/// floor() without a library call (the baseline x86-64 target has no rounding instruction);
/// valid for the index range of any image.
@inline(__always)
func fastFloor(_ x: Double) -> Int {
    let i = Int(x)
    return Double(i) > x ? i - 1 : i
}

/// Samples one 3D scalar array (x fastest) at continuous indices. The interpolation is
/// separable, so each axis contributes its own indices and weights.
struct Sampler<T: VoxelScalar>: @unchecked Sendable {
    let values: UnsafeBufferPointer<T>
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

    /// Trilinear interpolation without the general tap machinery: this is the hot path of
    /// 1 mm resampling.
    @inline(__always)
    func linear(_ c: SIMD3<Double>) -> Double {
        let nx = size.x, ny = size.y, nz = size.z
        let ix = fastFloor(c.x), iy = fastFloor(c.y), iz = fastFloor(c.z)
        let wx = c.x - Double(ix), wy = c.y - Double(iy), wz = c.z - Double(iz)
        let x0 = min(max(ix, 0), nx - 1), x1 = min(max(ix + 1, 0), nx - 1)
        let y0 = min(max(iy, 0), ny - 1) * nx, y1 = min(max(iy + 1, 0), ny - 1) * nx
        let sxy = nx * ny
        let z0 = min(max(iz, 0), nz - 1) * sxy, z1 = min(max(iz + 1, 0), nz - 1) * sxy
        let v = values.baseAddress!
        let c00 = v[z0 + y0 + x0].asDouble + wx * (v[z0 + y0 + x1].asDouble - v[z0 + y0 + x0].asDouble)
        let c01 = v[z0 + y1 + x0].asDouble + wx * (v[z0 + y1 + x1].asDouble - v[z0 + y1 + x0].asDouble)
        let c10 = v[z1 + y0 + x0].asDouble + wx * (v[z1 + y0 + x1].asDouble - v[z1 + y0 + x0].asDouble)
        let c11 = v[z1 + y1 + x0].asDouble + wx * (v[z1 + y1 + x1].asDouble - v[z1 + y1 + x0].asDouble)
        let c0 = c00 + wy * (c01 - c00), c1 = c10 + wy * (c11 - c10)
        return c0 + wz * (c1 - c0)
    }

    /// Trilinear at a point with 0 ≤ c < n−1 on every axis: no clamping needed.
    @inline(__always)
    func linearInterior(_ c: SIMD3<Double>) -> Double {
        let ix = Int(c.x), iy = Int(c.y), iz = Int(c.z)
        let wx = c.x - Double(ix), wy = c.y - Double(iy), wz = c.z - Double(iz)
        let nx = size.x, sxy = size.x &* size.y
        let p = values.baseAddress! + (iz &* sxy &+ iy &* nx &+ ix)
        let q = p + sxy
        let p0 = p[0].asDouble, p1 = p[1].asDouble, p2 = p[nx].asDouble, p3 = p[nx &+ 1].asDouble
        let q0 = q[0].asDouble, q1 = q[1].asDouble, q2 = q[nx].asDouble, q3 = q[nx &+ 1].asDouble
        let c00 = p0 + wx * (p1 - p0)
        let c01 = p2 + wx * (p3 - p2)
        let c10 = q0 + wx * (q1 - q0)
        let c11 = q2 + wx * (q3 - q2)
        let c0 = c00 + wy * (c01 - c00), c1 = c10 + wy * (c11 - c10)
        return c0 + wz * (c1 - c0)
    }

    /// Nearest at a point with −0.5 ≤ c < n−0.5 on every axis.
    @inline(__always)
    func nearestInterior(_ c: SIMD3<Double>) -> Double {
        let x = Int(c.x + 0.5), y = Int(c.y + 0.5), z = Int(c.z + 0.5)
        return values.baseAddress![(z &* size.y &+ y) &* size.x &+ x].asDouble
    }

    @inline(__always)
    func nearest(_ c: SIMD3<Double>) -> Double {
        let x = min(max(fastFloor(c.x + 0.5), 0), size.x - 1)
        let y = min(max(fastFloor(c.y + 0.5), 0), size.y - 1)
        let z = min(max(fastFloor(c.z + 0.5), 0), size.z - 1)
        return values[(z * size.y + y) * size.x + x].asDouble
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
        switch interpolator {
        case .linear: return linear(p)
        case .nearest: return nearest(p)
        case .bspline: break
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
                for c in 0..<tx.count { accX += tx.weight[c] * values[row + tx.index[c]].asDouble }
                accY += ty.weight[b] * accX
            }
            acc += tz.weight[a] * accY
        }
        return acc
    }
}

/// The voxel types a sampler reads directly, without converting the whole image first.
protocol VoxelScalar { var asDouble: Double { get } }
extension UInt8: VoxelScalar { @inline(__always) var asDouble: Double { Double(self) } }
extension Int16: VoxelScalar { @inline(__always) var asDouble: Double { Double(self) } }
extension UInt16: VoxelScalar { @inline(__always) var asDouble: Double { Double(self) } }
extension Int32: VoxelScalar { @inline(__always) var asDouble: Double { Double(self) } }
extension Float: VoxelScalar { @inline(__always) var asDouble: Double { Double(self) } }
extension Double: VoxelScalar { @inline(__always) var asDouble: Double { self } }
