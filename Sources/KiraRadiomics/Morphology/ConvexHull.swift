/// 3D convex hull by incremental insertion, enough for hull volume, area and the maximum
/// diameter (IBSI 3.1). Points within a relative 1e-10 of a face are treated as on it.
struct ConvexHull: Sendable {
    let points: [SIMD3<Double>]
    /// Outward-oriented triangles as indices into `points`.
    let faces: [SIMD3<Int>]

    var volume: Double {
        guard let o = points.first else { return 0 }
        var v = 0.0
        for f in faces { v += dot(points[f.x] - o, cross(points[f.y] - o, points[f.z] - o)) / 6 }
        return abs(v)
    }

    var area: Double {
        var a = 0.0
        for f in faces {
            let n = cross(points[f.y] - points[f.x], points[f.z] - points[f.x])
            a += dot(n, n).squareRoot() / 2
        }
        return a
    }

    /// Indices of points on the hull.
    var vertexIndices: [Int] { Array(Set(faces.flatMap { [$0.x, $0.y, $0.z] })).sorted() }

    /// nil when the points do not span 3D (fewer than 4 non-coplanar points).
    init?(_ input: [SIMD3<Double>]) {
        points = input
        guard input.count >= 4 else { return nil }
        var lo = input[0], hi = input[0]
        for p in input { lo = pointwiseMin(lo, p); hi = pointwiseMax(hi, p) }
        let scale = max((hi - lo).max(), 1e-12)
        let eps = scale * 1e-10
        // Initial tetrahedron: extreme x, farthest from their line, farthest from their plane.
        var i0 = 0, i1 = 0
        for (i, p) in input.enumerated() {
            if p.x < input[i0].x { i0 = i }
            if p.x > input[i1].x { i1 = i }
        }
        if i0 == i1 { i1 = input.indices.max { dot(input[$0] - input[i0], input[$0] - input[i0]) < dot(input[$1] - input[i0], input[$1] - input[i0]) }! }
        let line = input[i1] - input[i0]
        let i2 = input.indices.max { a, b in
            let ca = cross(input[a] - input[i0], line), cb = cross(input[b] - input[i0], line)
            return dot(ca, ca) < dot(cb, cb)
        }!
        let normal0 = cross(input[i1] - input[i0], input[i2] - input[i0])
        guard dot(normal0, normal0).squareRoot() > eps * scale else { return nil }
        let i3 = input.indices.max { abs(dot(input[$0] - input[i0], normal0)) < abs(dot(input[$1] - input[i0], normal0)) }!
        guard abs(dot(input[i3] - input[i0], normal0)) / dot(normal0, normal0).squareRoot() > eps else { return nil }

        var faces: [SIMD3<Int>] = []
        var normals: [SIMD3<Double>] = []
        var offsets: [Double] = []
        var alive: [Bool] = []
        let centre = (input[i0] + input[i1] + input[i2] + input[i3]) / 4
        func addFace(_ a: Int, _ b: Int, _ c: Int) {
            var f = SIMD3(a, b, c)
            var n = cross(input[b] - input[a], input[c] - input[a])
            if dot(n, input[a] - centre) < 0 { f = SIMD3(a, c, b); n = -n }
            let len = dot(n, n).squareRoot()
            n /= len
            faces.append(f); normals.append(n); offsets.append(dot(n, input[f.x])); alive.append(true)
        }
        addFace(i0, i1, i2); addFace(i0, i1, i3); addFace(i0, i2, i3); addFace(i1, i2, i3)

        var edgeCount: [Int: Int] = [:]
        let n = input.count
        for p in 0..<n where p != i0 && p != i1 && p != i2 && p != i3 {
            let q = input[p]
            var visible: [Int] = []
            for f in 0..<faces.count where alive[f] && dot(normals[f], q) - offsets[f] > eps { visible.append(f) }
            if visible.isEmpty { continue }
            // Horizon: directed edges of visible faces whose reverse is not on a visible face.
            edgeCount.removeAll(keepingCapacity: true)
            for f in visible {
                let t = faces[f]
                for (a, b) in [(t.x, t.y), (t.y, t.z), (t.z, t.x)] { edgeCount[a &* n &+ b, default: 0] += 1 }
                alive[f] = false
            }
            for f in visible {
                let t = faces[f]
                for (a, b) in [(t.x, t.y), (t.y, t.z), (t.z, t.x)] where edgeCount[b &* n &+ a] == nil {
                    let nn = cross(input[b] - input[a], q - input[a])
                    let len = dot(nn, nn).squareRoot()
                    faces.append(SIMD3(a, b, p)); normals.append(len > 0 ? nn / len : nn)
                    offsets.append(dot(len > 0 ? nn / len : nn, input[a])); alive.append(true)
                }
            }
        }
        self.faces = zip(faces, alive).filter(\.1).map(\.0)
    }
}

/// Eigenvalues of a symmetric 3×3 matrix (Jacobi rotations), largest first.
func symmetricEigenvalues(_ m: [[Double]]) -> [Double] {
    var a = m
    for _ in 0..<100 {
        var off = 0.0
        for i in 0..<3 { for j in 0..<3 where i != j { off += a[i][j] * a[i][j] } }
        if off < 1e-30 { break }
        for p in 0..<2 {
            for q in (p + 1)..<3 where a[p][q] != 0 {
                let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<3 {
                    let akp = a[k][p], akq = a[k][q]
                    a[k][p] = c * akp - s * akq
                    a[k][q] = s * akp + c * akq
                }
                for k in 0..<3 {
                    let apk = a[p][k], aqk = a[q][k]
                    a[p][k] = c * apk - s * aqk
                    a[q][k] = s * apk + c * aqk
                }
            }
        }
    }
    return [a[0][0], a[1][1], a[2][2]].sorted(by: >)
}
