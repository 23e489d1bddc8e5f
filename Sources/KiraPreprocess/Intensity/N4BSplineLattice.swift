import Dispatch
import KiraCore

/// A cubic B-spline control-point lattice over an image's index grid, as ITK's
/// BSplineScatteredDataPointSetToImageFilter parametrises it: along an axis of N voxels and
/// n control points, voxel index i sits at parameter (n − 3)·i/(N − 1), and control point j
/// is centred on parameter j − 1. The field is therefore defined in index space, so a lattice
/// fitted on a shrunk grid reconstructs on the full grid by the same rule.
struct CubicLattice: Sendable {
    var size: SIMD3<Int>
    var values: [Double]

    init(size: SIMD3<Int>, values: [Double]? = nil) {
        self.size = size
        self.values = values ?? [Double](repeating: 0, count: size.x * size.y * size.z)
    }

    static func += (a: inout CubicLattice, b: CubicLattice) {
        precondition(a.size == b.size)
        for i in a.values.indices { a.values[i] += b.values[i] }
    }

    /// Centred cubic B-spline B(u), support (−2, 2).
    @inline(__always)
    static func kernel(_ u: Double) -> Double {
        let a = abs(u)
        if a < 1 { return (4 - 6 * a * a + 3 * a * a * a) / 6 }
        if a < 2 { let b = 2 - a; return b * b * b / 6 }
        return 0
    }

    /// Per voxel index along one axis: the first control point it touches and its four weights.
    struct Axis: Sendable {
        var start: [Int]
        var weights: [Double]   // 4 per index

        init(voxels n: Int, controlPoints: Int) {
            start = [Int](repeating: 0, count: n)
            weights = [Double](repeating: 0, count: 4 * n)
            let spans = Double(controlPoints - 3)
            // ITK pulls parameters within 1e-3 of a span of the domain's end inside it
            // (BSplineEpsilon), so the last voxel is evaluated just below the end.
            let epsilon = n > 1 ? spans / Double(n - 1) * 1e-3 : 0
            for i in 0..<n {
                // A single-voxel axis carries no variation: all its voxels sit at parameter 0,
                // which reproduces the fit of the lower-dimensional image exactly.
                var u = n > 1 ? spans * Double(i) / Double(n - 1) : 0
                if abs(u - spans) <= epsilon { u = spans - epsilon }
                if u < 0 { u = 0 }
                let s = Int(u)
                let t = u - Double(s)
                start[i] = s
                for k in 0..<4 { weights[4 * i + k] = CubicLattice.kernel(t - Double(k) + 1) }
            }
        }
    }

    /// Lee–Wolberg–Shin single-level B-spline approximation of scattered values: each point
    /// spreads w³z/Σw² to its 4×4×4 control points; each control point takes the
    /// w²-weighted mean of what it received (ITK's BSplineScatteredDataPointSetToImageFilter
    /// with one level and unit point weights).
    static func fit(size: SIMD3<Int>, axes: (Axis, Axis, Axis), grid: SIMD3<Int>,
                    points: [Int32], values: [Double]) -> CubicLattice {
        let count = size.x * size.y * size.z
        let chunks = max(1, min(16, points.count / 4096))
        var accumulators = [Double](repeating: 0, count: 2 * count * chunks)
        let per = (points.count + chunks - 1) / chunks
        withAxisPointers(axes) { ax, ay, az in
            accumulators.withUnsafeMutableBufferPointer { acc in
                let accPointer = UncheckedDoublePointer(acc.baseAddress!)
                points.withUnsafeBufferPointer { pts in
                    values.withUnsafeBufferPointer { vals in
                        let p = UncheckedInt32Pointer(pts.baseAddress!), v = UncheckedConstPointer(vals.baseAddress!)
                        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                            let lo = chunk * per, hi = min(points.count, lo + per)
                            guard lo < hi else { return }
                            let delta = accPointer.p + 2 * count * chunk, omega = delta + count
                            withUnsafeTemporaryAllocation(of: Double.self, capacity: 64) { w in
                                for m in lo..<hi {
                                    let index = Int(p.p[m])
                                    let x = index % grid.x, y = (index / grid.x) % grid.y, z = index / (grid.x * grid.y)
                                    let wx = ax.weights + 4 * x, wy = ay.weights + 4 * y, wz = az.weights + 4 * z
                                    var w2 = 0.0
                                    for c in 0..<4 {
                                        for b in 0..<4 {
                                            let wzy = wz[c] * wy[b]
                                            for a in 0..<4 {
                                                let ww = wzy * wx[a]
                                                w[(c &* 4 &+ b) &* 4 &+ a] = ww
                                                w2 += ww * ww
                                            }
                                        }
                                    }
                                    let scale = v.p[m] / w2
                                    let sx = ax.start[x], sy = ay.start[y], sz = az.start[z]
                                    for c in 0..<4 { for b in 0..<4 {
                                        let row = ((sz &+ c) &* size.y &+ sy &+ b) &* size.x &+ sx
                                        for a in 0..<4 {
                                            let ww = w[(c &* 4 &+ b) &* 4 &+ a], ww2 = ww * ww
                                            omega[row &+ a] += ww2
                                            delta[row &+ a] += ww2 * ww * scale
                                        }
                                    } }
                                }
                            }
                        }
                    }
                }
            }
        }
        var lattice = CubicLattice(size: size)
        for i in 0..<count {
            var d = 0.0, o = 0.0
            for c in 0..<chunks { d += accumulators[2 * count * c + i]; o += accumulators[2 * count * c + count + i] }
            if o != 0 {
                let q = d / o
                lattice.values[i] = q.isFinite ? q : 0
            }
        }
        return lattice
    }

    /// The spline at the given voxels (linear indices into `grid`).
    func evaluate(axes: (Axis, Axis, Axis), grid: SIMD3<Int>, points: [Int32]) -> [Double] {
        var out = [Double](repeating: 0, count: points.count)
        let size = self.size
        Self.withAxisPointers(axes) { ax, ay, az in
            out.withUnsafeMutableBufferPointer { o in
                let result = UncheckedDoublePointer(o.baseAddress!)
                values.withUnsafeBufferPointer { lv in
                    points.withUnsafeBufferPointer { pts in
                        let l = UncheckedConstPointer(lv.baseAddress!), p = UncheckedInt32Pointer(pts.baseAddress!)
                        parallelChunks(points.count, chunks: max(1, min(64, points.count / 1024))) { range in
                            for m in range {
                                let index = Int(p.p[m])
                                let x = index % grid.x, y = (index / grid.x) % grid.y, z = index / (grid.x * grid.y)
                                let wx = ax.weights + 4 * x, wy = ay.weights + 4 * y, wz = az.weights + 4 * z
                                let sx = ax.start[x], sy = ay.start[y], sz = az.start[z]
                                var sum = 0.0
                                for c in 0..<4 {
                                    var plane = 0.0
                                    for b in 0..<4 {
                                        let row = l.p + (((sz &+ c) &* size.y &+ sy &+ b) &* size.x &+ sx)
                                        plane += wy[b] * (wx[0] * row[0] + wx[1] * row[1] + wx[2] * row[2] + wx[3] * row[3])
                                    }
                                    sum += wz[c] * plane
                                }
                                result.p[m] = sum
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    struct AxisPointers: @unchecked Sendable {
        let start: UnsafePointer<Int>
        let weights: UnsafePointer<Double>
    }

    /// Raw views of the three axis tables for the hot loops (valid inside `body` only).
    static func withAxisPointers<R>(_ axes: (Axis, Axis, Axis), _ body: (AxisPointers, AxisPointers, AxisPointers) -> R) -> R {
        axes.0.start.withUnsafeBufferPointer { s0 in axes.0.weights.withUnsafeBufferPointer { w0 in
            axes.1.start.withUnsafeBufferPointer { s1 in axes.1.weights.withUnsafeBufferPointer { w1 in
                axes.2.start.withUnsafeBufferPointer { s2 in axes.2.weights.withUnsafeBufferPointer { w2 in
                    body(AxisPointers(start: s0.baseAddress!, weights: w0.baseAddress!),
                         AxisPointers(start: s1.baseAddress!, weights: w1.baseAddress!),
                         AxisPointers(start: s2.baseAddress!, weights: w2.baseAddress!))
                } }
            } }
        } }
    }

    /// The spline on every voxel of `grid`, collapsing the lattice one axis at a time
    /// (z, then y, then x) so each voxel costs four multiply-adds.
    func evaluateGrid(_ grid: SIMD3<Int>) -> [Float] {
        let axes = (Axis(voxels: grid.x, controlPoints: size.x), Axis(voxels: grid.y, controlPoints: size.y),
                    Axis(voxels: grid.z, controlPoints: size.z))
        var out = [Float](repeating: 0, count: grid.x * grid.y * grid.z)
        let size = self.size
        Self.withAxisPointers(axes) { ax, ay, az in
            out.withUnsafeMutableBufferPointer { o in
                let result = UncheckedFloatPointer(o.baseAddress!)
                values.withUnsafeBufferPointer { lv in
                    let l = UncheckedConstPointer(lv.baseAddress!)
                    parallelChunks(grid.z, chunks: grid.z) { zs in
                        withUnsafeTemporaryAllocation(of: Double.self, capacity: size.x * size.y + size.x) { scratch in
                            let plane = scratch.baseAddress!, line = plane + size.x * size.y
                            for z in zs {
                                let wz = az.weights + 4 * z, sz = az.start[z]
                                for i in 0..<(size.x * size.y) {
                                    let base = l.p + sz * size.x * size.y + i
                                    plane[i] = wz[0] * base[0] + wz[1] * base[size.x * size.y]
                                        + wz[2] * base[2 * size.x * size.y] + wz[3] * base[3 * size.x * size.y]
                                }
                                for y in 0..<grid.y {
                                    let wy = ay.weights + 4 * y, sy = ay.start[y]
                                    for i in 0..<size.x {
                                        let base = plane + sy * size.x + i
                                        line[i] = wy[0] * base[0] + wy[1] * base[size.x] + wy[2] * base[2 * size.x] + wy[3] * base[3 * size.x]
                                    }
                                    let row = result.p + (z * grid.y + y) * grid.x
                                    for x in 0..<grid.x {
                                        let wx = ax.weights + 4 * x, b = line + ax.start[x]
                                        row[x] = Float(wx[0] * b[0] + wx[1] * b[1] + wx[2] * b[2] + wx[3] * b[3])
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The same spline on a mesh twice as fine (n → 2n − 3 control points per axis): exact
    /// cubic subdivision, fine point 2i from coarse i, i+1 (½, ½) and fine point 2i+1 from
    /// coarse i, i+1, i+2 (⅛, ¾, ⅛).
    func refined() -> CubicLattice {
        var current = self
        for axis in 0..<3 {
            let n = current.size[axis]
            var newSize = current.size
            newSize[axis] = 2 * n - 3
            var next = CubicLattice(size: newSize)
            let strides = SIMD3(1, current.size.x, current.size.x * current.size.y)
            let newStrides = SIMD3(1, newSize.x, newSize.x * newSize.y)
            for z in 0..<newSize.z { for y in 0..<newSize.y { for x in 0..<newSize.x {
                var index = SIMD3(x, y, z)
                let j = index[axis]
                index[axis] = 0
                let base = index.x * strides.x + index.y * strides.y + index.z * strides.z
                let s = strides[axis]
                let i = j / 2
                let v: Double
                if j % 2 == 0 {
                    v = 0.5 * (current.values[base + i * s] + current.values[base + (i + 1) * s])
                } else {
                    v = (current.values[base + i * s] + 6 * current.values[base + (i + 1) * s] + current.values[base + (i + 2) * s]) / 8
                }
                next.values[x * newStrides.x + y * newStrides.y + z * newStrides.z] = v
            } } }
            current = next
        }
        return current
    }
}

struct UncheckedDoublePointer: @unchecked Sendable {
    let p: UnsafeMutablePointer<Double>
    init(_ p: UnsafeMutablePointer<Double>) { self.p = p }
}

struct UncheckedInt32Pointer: @unchecked Sendable {
    let p: UnsafePointer<Int32>
    init(_ p: UnsafePointer<Int32>) { self.p = p }
}
