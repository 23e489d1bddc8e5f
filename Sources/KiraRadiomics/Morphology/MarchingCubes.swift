/// Marching-cubes surface of a binary mask at iso-level 0.5 (IBSI 3.1 mesh representation).
///
/// The 256-case triangle table is generated here rather than typed in: on each cube face the
/// iso-line segments are found from the four corner states (an ambiguous face, with diagonal
/// corners inside, keeps the inside corners apart), oriented so that the outside lies to a
/// fixed side, and the segments of all six faces are chained into closed polygons that are
/// fanned into triangles (see `fan`). Adjacent cubes see a shared face with opposite normals, so the
/// resulting mesh is closed and consistently oriented. With 0/1 voxels every vertex is an
/// edge midpoint.
enum MarchingCubes {
    /// Cube corner c sits at offset (c & 1, c >> 1 & 1, c >> 2 & 1).
    static func corner(_ c: Int) -> SIMD3<Double> { SIMD3(Double(c & 1), Double(c >> 1 & 1), Double(c >> 2 & 1)) }

    /// The 12 edges as corner pairs; edge e runs along axis e / 4.
    static let edges: [(Int, Int)] = {
        var out: [(Int, Int)] = []
        for axis in 0..<3 {
            for c in 0..<8 where c & (1 << axis) == 0 { out.append((c, c | (1 << axis))) }
        }
        return out
    }()

    static func edgeIndex(_ a: Int, _ b: Int) -> Int {
        edges.firstIndex { ($0.0 == a && $0.1 == b) || ($0.0 == b && $0.1 == a) }!
    }

    static func edgeMidpoint(_ e: Int) -> SIMD3<Double> { (corner(edges[e].0) + corner(edges[e].1)) / 2 }

    /// Triangles (as edge-index triples) for each of the 256 corner configurations.
    static let table: [[Int]] = (0..<256).map(triangles(for:))
    /// The distinct edges each configuration's triangles use.
    static let usedEdges: [[Int]] = table.map { Array(Set($0)).sorted() }

    static func triangles(for config: Int) -> [Int] {
        let inside = { (c: Int) in config & (1 << c) != 0 }
        var next = [Int](repeating: -1, count: 12)
        for axis in 0..<3 {
            let (b, c) = ((axis + 1) % 3, (axis + 2) % 3)
            for side in 0..<2 {
                var normal = SIMD3<Double>(0, 0, 0)
                normal[axis] = side == 0 ? -1 : 1
                // Corners in cyclic order around the face.
                let base = side << axis
                let ring: [Int] = [base, base | (1 << b), base | (1 << b) | (1 << c), base | (1 << c)]
                let states = ring.map(inside)
                let crossed = (0..<4).filter { states[$0] != states[($0 + 1) % 4] }
                var segments: [(Int, Int, SIMD3<Double>)] = []  // edge, edge, direction towards outside
                let ringEdge = { (k: Int) in edgeIndex(ring[k], ring[(k + 1) % 4]) }
                if crossed.count == 2 {
                    var inSum = SIMD3<Double>(0, 0, 0), outSum = SIMD3<Double>(0, 0, 0)
                    var inCount = 0.0, outCount = 0.0
                    for k in 0..<4 {
                        if states[k] { inSum += corner(ring[k]); inCount += 1 } else { outSum += corner(ring[k]); outCount += 1 }
                    }
                    let away: SIMD3<Double> = outSum / outCount - inSum / inCount
                    segments.append((ringEdge(crossed[0]), ringEdge(crossed[1]), away))
                } else if crossed.count == 4 {
                    // Cut off each inside corner on its own.
                    for k in 0..<4 where states[k] {
                        let e1 = ringEdge((k + 3) % 4), e2 = ringEdge(k)
                        let mid = (edgeMidpoint(e1) + edgeMidpoint(e2)) / 2
                        segments.append((e1, e2, mid - corner(ring[k])))
                    }
                }
                for (e1, e2, away) in segments {
                    let d = edgeMidpoint(e2) - edgeMidpoint(e1)
                    let turn = cross(d, away)
                    let forward = (turn * normal).sum() > 0
                    if forward { next[e1] = e2 } else { next[e2] = e1 }
                }
            }
        }
        var out: [Int] = []
        var used = [Bool](repeating: false, count: 12)
        for start in 0..<12 where next[start] >= 0 && !used[start] {
            var loop: [Int] = []
            var e = start
            while !used[e] { used[e] = true; loop.append(e); e = next[e] }
            out += fan(loop)
        }
        return out
    }

    /// Fan triangulation of a polygon loop. A non-planar loop (5 or 6 edge midpoints) can be
    /// fanned from any of its vertices; the fan enclosing the most volume is the one classic
    /// marching-cubes tables use: with it the mesh volume and area equal pyradiomics'.
    static func fan(_ loop: [Int]) -> [Int] {
        func tris(_ s: Int) -> [Int] {
            var out: [Int] = []
            for k in 1..<(loop.count - 1) { out += [loop[s], loop[(s + k) % loop.count], loop[(s + k + 1) % loop.count]] }
            return out
        }
        if loop.count <= 3 { return tris(0) }
        let c = SIMD3<Double>(0.5, 0.5, 0.5)
        func vol(_ t: [Int]) -> Double {
            var v = 0.0
            for k in stride(from: 0, to: t.count, by: 3) {
                v += dot(edgeMidpoint(t[k]) - c, cross(edgeMidpoint(t[k + 1]) - c, edgeMidpoint(t[k + 2]) - c))
            }
            return v
        }
        let options = loop.indices.map { tris($0) }
        return options.max { vol($0) < vol($1) }!
    }

    struct Mesh: Sendable {
        /// Unique vertices in mm.
        var vertices: [SIMD3<Double>]
        var volume: Double
        var area: Double
    }

    /// Mesh of `mask` (nx × ny × nz, x fastest) with voxel `spacing`; outside the grid is 0.
    static func mesh(_ mask: [Bool], nx: Int, ny: Int, nz: Int, spacing: SIMD3<Double>) -> Mesh {
        let t = table, used = usedEdges
        @inline(__always) func at(_ x: Int, _ y: Int, _ z: Int) -> Bool {
            x >= 0 && x < nx && y >= 0 && y < ny && z >= 0 && z < nz && mask[(z * ny + y) * nx + x]
        }
        // Vertex ids: an edge of the padded lattice, keyed by its lower corner and axis.
        let px = nx + 2, py = ny + 2, pz = nz + 2
        var vertexSeen = [Bool](repeating: false, count: px * py * pz * 3)
        var vertices: [SIMD3<Double>] = []
        var volume = 0.0, area = 0.0
        let offsets = (0..<12).map { edgeMidpoint($0) }
        let lower = edges.map { corner($0.0) }
        for z in -1..<nz {
            for y in -1..<ny {
                for x in -1..<nx {
                    var config = 0
                    for c in 0..<8 where at(x + (c & 1), y + (c >> 1 & 1), z + (c >> 2 & 1)) { config |= 1 << c }
                    guard config != 0 && config != 255 else { continue }
                    let base = SIMD3(Double(x), Double(y), Double(z))
                    let tri = t[config]
                    var k = 0
                    while k < tri.count {
                        let a = (base + offsets[tri[k]]) * spacing
                        let b = (base + offsets[tri[k + 1]]) * spacing
                        let c = (base + offsets[tri[k + 2]]) * spacing
                        volume += (a * cross(b, c)).sum() / 6
                        let n = cross(b - a, c - a)
                        area += (n * n).sum().squareRoot() / 2
                        k += 3
                    }
                    for e in used[config] {
                        let l = lower[e]
                        let key = (((z + 1 + Int(l.z)) * py + (y + 1 + Int(l.y))) * px + (x + 1 + Int(l.x))) * 3 + e / 4
                        if !vertexSeen[key] {
                            vertexSeen[key] = true
                            vertices.append((base + offsets[e]) * spacing)
                        }
                    }
                }
            }
        }
        return Mesh(vertices: vertices, volume: abs(volume), area: area)
    }
}

@inline(__always) func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}

@inline(__always) func dot(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { (a * b).sum() }
