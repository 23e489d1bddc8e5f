/// Marching-cubes surface of a binary mask at iso-level 0.5 (IBSI 3.1 mesh representation),
/// with the classic triangle table of Lorensen and Cline as tabulated by Bourke
/// ("Polygonising a scalar field", 1994) — the table pyradiomics uses, so that mesh volume and
/// area equal pyradiomics' and the IBSI consensus built largely on it.
///
/// Conventions that decide the numbers (all three follow pyradiomics' `cshape.c`):
/// - The classic cube's axes are the image's index axes (x fastest). The table is not
///   symmetric under mirroring, so the axis assignment decides some triangulations.
/// - Only the 128 configurations with classic corner 7 outside are tabulated; a configuration
///   with corner 7 inside uses its complement's triangles, reversed. On a cube face with
///   diagonal corners inside, the complement keeps the inside corners joined where the
///   tabulated half keeps them apart, so the mesh can have small holes there: its signed volume
///   then depends on the origin, which is the image's voxel grid padded by one voxel (index
///   −1), as in pyradiomics' shape class on the uncropped mask.
/// - With 0/1 voxels every vertex is an edge midpoint.
enum MarchingCubes {
    /// Classic corner v at (x, y, z) offsets in the classic cube's own axes.
    static let classicCorners: [SIMD3<Int>] = [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]]
    /// Classic edges as corner pairs.
    static let classicEdges: [(Int, Int)] = [(0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4), (0, 4), (1, 5), (2, 6), (3, 7)]
    /// Triangles (classic edge triples) for classic configurations 0…127 (bit v: corner v inside).
    static let classicTriangles: [[Int]] = [
        [], [0, 8, 3], [1, 9, 0], [1, 8, 3, 1, 9, 8], [1, 2, 10], [0, 8, 3, 1, 2, 10], [9, 2, 10, 0, 2, 9],
        [2, 8, 3, 2, 10, 8, 10, 9, 8], [11, 2, 3], [11, 2, 0, 0, 8, 11], [1, 9, 0, 11, 2, 3],
        [11, 2, 1, 1, 9, 11, 9, 8, 11], [3, 10, 1, 11, 10, 3], [10, 1, 0, 0, 8, 10, 8, 11, 10],
        [9, 0, 3, 3, 11, 9, 11, 10, 9], [9, 8, 10, 11, 10, 8], [4, 7, 8], [0, 4, 3, 4, 7, 3], [1, 9, 0, 4, 7, 8],
        [1, 9, 4, 1, 4, 7, 1, 7, 3], [1, 2, 10, 4, 7, 8], [3, 4, 7, 3, 0, 4, 1, 2, 10], [9, 2, 10, 9, 0, 2, 4, 7, 8],
        [2, 10, 9, 2, 9, 7, 2, 7, 3, 4, 7, 9], [4, 7, 8, 11, 2, 3], [11, 4, 7, 11, 2, 4, 2, 0, 4],
        [1, 9, 0, 4, 7, 8, 11, 2, 3], [4, 7, 11, 9, 4, 11, 11, 2, 9, 1, 9, 2], [3, 10, 1, 11, 10, 3, 4, 7, 8],
        [11, 10, 1, 1, 4, 11, 1, 0, 4, 4, 7, 11], [4, 7, 8, 9, 0, 3, 3, 11, 9, 11, 10, 9],
        [4, 7, 11, 4, 11, 9, 9, 11, 10], [9, 5, 4], [9, 5, 4, 0, 8, 3], [0, 5, 4, 0, 1, 5],
        [8, 5, 4, 8, 3, 5, 3, 1, 5], [1, 2, 10, 9, 5, 4], [0, 8, 3, 1, 2, 10, 9, 5, 4], [2, 10, 5, 5, 4, 2, 2, 4, 0],
        [2, 10, 5, 3, 2, 5, 3, 5, 4, 8, 3, 4], [9, 5, 4, 11, 2, 3], [11, 2, 0, 0, 8, 11, 9, 5, 4],
        [0, 5, 4, 0, 1, 5, 11, 2, 3], [2, 1, 5, 2, 5, 8, 11, 2, 8, 5, 4, 8], [3, 10, 1, 11, 10, 3, 9, 5, 4],
        [5, 4, 9, 10, 1, 0, 0, 8, 10, 8, 11, 10], [5, 4, 0, 5, 0, 11, 10, 5, 11, 11, 0, 3],
        [5, 4, 8, 10, 5, 8, 11, 10, 8], [7, 8, 9, 5, 7, 9], [3, 0, 9, 5, 3, 9, 3, 5, 7], [7, 8, 0, 0, 1, 7, 7, 1, 5],
        [1, 5, 7, 1, 7, 3], [7, 8, 9, 5, 7, 9, 1, 2, 10], [1, 2, 10, 3, 0, 9, 3, 9, 5, 3, 5, 7],
        [0, 2, 8, 8, 2, 5, 8, 5, 7, 2, 10, 5], [2, 10, 5, 2, 5, 3, 3, 5, 7], [5, 7, 9, 7, 8, 9, 11, 2, 3],
        [5, 7, 9, 9, 7, 2, 2, 0, 9, 11, 2, 7], [11, 2, 3, 0, 1, 8, 1, 7, 8, 1, 5, 7], [2, 1, 11, 1, 7, 11, 1, 5, 7],
        [7, 8, 9, 5, 7, 9, 3, 10, 1, 11, 10, 3], [5, 7, 0, 5, 0, 9, 7, 11, 0, 10, 1, 0, 11, 10, 0],
        [11, 10, 0, 0, 3, 11, 10, 5, 0, 0, 7, 8, 5, 7, 0], [11, 10, 5, 5, 7, 11], [6, 5, 10], [0, 8, 3, 6, 5, 10],
        [1, 9, 0, 6, 5, 10], [1, 8, 3, 1, 9, 8, 6, 5, 10], [1, 6, 5, 1, 2, 6], [1, 6, 5, 1, 2, 6, 0, 8, 3],
        [9, 6, 5, 9, 0, 6, 0, 2, 6], [5, 9, 8, 5, 8, 2, 5, 2, 6, 8, 3, 2], [11, 2, 3, 6, 5, 10],
        [11, 2, 0, 0, 8, 11, 6, 5, 10], [1, 9, 0, 11, 2, 3, 6, 5, 10], [11, 2, 1, 1, 9, 11, 9, 8, 11, 6, 5, 10],
        [6, 3, 11, 6, 5, 3, 5, 1, 3], [0, 8, 11, 0, 11, 5, 0, 5, 1, 5, 11, 6], [6, 3, 11, 0, 3, 6, 0, 6, 5, 0, 5, 9],
        [6, 5, 9, 6, 9, 11, 11, 9, 8], [4, 7, 8, 6, 5, 10], [0, 4, 3, 4, 7, 3, 6, 5, 10],
        [1, 9, 0, 4, 7, 8, 6, 5, 10], [1, 9, 4, 1, 4, 7, 1, 7, 3, 6, 5, 10], [4, 7, 8, 1, 6, 5, 1, 2, 6],
        [0, 4, 3, 4, 7, 3, 1, 6, 5, 1, 2, 6], [4, 7, 8, 9, 6, 5, 9, 0, 6, 0, 2, 6],
        [7, 3, 9, 4, 7, 9, 3, 2, 9, 5, 9, 6, 2, 6, 9], [11, 2, 3, 4, 7, 8, 6, 5, 10],
        [11, 4, 7, 11, 2, 4, 2, 0, 4, 6, 5, 10], [1, 9, 0, 11, 2, 3, 4, 7, 8, 6, 5, 10],
        [4, 7, 11, 9, 4, 11, 11, 2, 9, 1, 9, 2, 6, 5, 10], [4, 7, 8, 6, 3, 11, 6, 5, 3, 5, 1, 3],
        [5, 1, 11, 5, 11, 6, 1, 0, 11, 4, 7, 11, 0, 4, 11], [4, 7, 8, 6, 3, 11, 0, 3, 6, 0, 6, 5, 0, 5, 9],
        [6, 5, 9, 6, 9, 11, 4, 7, 9, 7, 11, 9], [10, 4, 9, 6, 4, 10], [10, 4, 9, 6, 4, 10, 0, 8, 3],
        [0, 1, 10, 10, 6, 0, 6, 4, 0], [1, 8, 3, 1, 6, 8, 8, 6, 4, 6, 1, 10], [1, 4, 9, 1, 2, 4, 2, 6, 4],
        [1, 4, 9, 1, 2, 4, 2, 6, 4, 0, 8, 3], [0, 2, 4, 4, 2, 6], [8, 3, 2, 8, 2, 4, 4, 2, 6],
        [11, 2, 3, 10, 4, 9, 6, 4, 10], [11, 2, 0, 0, 8, 11, 10, 4, 9, 6, 4, 10],
        [11, 2, 3, 0, 1, 10, 10, 6, 0, 6, 4, 0], [6, 4, 1, 6, 1, 10, 1, 4, 8, 11, 2, 1, 1, 8, 11],
        [9, 6, 4, 3, 6, 9, 1, 3, 9, 11, 6, 3], [1, 8, 11, 0, 8, 1, 11, 6, 1, 1, 4, 9, 6, 4, 1],
        [6, 3, 11, 0, 3, 6, 6, 4, 0], [8, 6, 4, 6, 8, 11], [6, 7, 10, 7, 8, 10, 8, 9, 10],
        [6, 7, 10, 0, 10, 7, 0, 9, 10, 0, 7, 3], [6, 7, 10, 1, 10, 7, 1, 7, 8, 0, 1, 8],
        [6, 7, 10, 1, 10, 7, 1, 7, 3], [1, 2, 6, 1, 6, 8, 1, 8, 9, 6, 7, 8],
        [2, 6, 9, 1, 2, 9, 6, 7, 9, 3, 0, 9, 7, 3, 9], [0, 7, 8, 7, 0, 6, 6, 0, 2], [2, 7, 3, 2, 6, 7],
        [11, 2, 3, 6, 7, 10, 7, 8, 10, 8, 9, 10], [2, 0, 7, 11, 2, 7, 0, 9, 7, 6, 7, 10, 9, 10, 7],
        [6, 7, 10, 1, 10, 7, 1, 7, 8, 0, 1, 8, 11, 2, 3], [11, 2, 1, 1, 7, 11, 10, 6, 1, 1, 6, 7],
        [8, 9, 6, 6, 7, 8, 1, 6, 9, 11, 6, 3, 1, 3, 6], [0, 9, 1, 6, 7, 11], [0, 7, 8, 7, 0, 6, 0, 3, 11, 11, 6, 0],
        [6, 7, 11]    ]

    /// Kira's corner c sits at offset (c & 1, c >> 1 & 1, c >> 2 & 1) in image (x, y, z).
    static func corner(_ c: Int) -> SIMD3<Double> { SIMD3(Double(c & 1), Double(c >> 1 & 1), Double(c >> 2 & 1)) }

    /// Kira's corner for a classic corner.
    static func kiraCorner(_ v: Int) -> Int { let p = classicCorners[v]; return p.x + 2 * p.y + 4 * p.z }

    /// Kira's 12 edges as corner pairs; edge e runs along image axis e / 4.
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

    /// Triangles (as Kira edge-index triples) for each of the 256 corner configurations.
    static let table: [[Int]] = (0..<256).map { triangles(for: $0) }
    /// The distinct edges each configuration's triangles use.
    static let usedEdges: [[Int]] = table.map { Array(Set($0)).sorted() }

    static func triangles(for config: Int) -> [Int] {
        var classic = 0
        for v in 0..<8 where config & (1 << kiraCorner(v)) != 0 { classic |= 1 << v }
        let complement = classic & 0x80 != 0
        let t = classicTriangles[complement ? classic ^ 0xFF : classic]
        let edge = classicEdges.map { edgeIndex(kiraCorner($0.0), kiraCorner($0.1)) }
        var out: [Int] = []
        for k in stride(from: 0, to: t.count, by: 3) {
            out += complement ? [edge[t[k]], edge[t[k + 2]], edge[t[k + 1]]] : [edge[t[k]], edge[t[k + 1]], edge[t[k + 2]]]
        }
        return out
    }

    struct Mesh: Sendable {
        /// Unique vertices in mm.
        var vertices: [SIMD3<Double>]
        var volume: Double
        var area: Double
    }

    /// `table` and `usedEdges` laid end to end, configuration k's entries at
    /// `starts[k]..<starts[k + 1]`: the hot loop reads them without touching an inner array.
    static let flatTriangles = flatten(table)
    static let flatUsedEdges = flatten(usedEdges)

    static func flatten(_ lists: [[Int]]) -> (starts: [Int], items: [Int]) {
        var starts = [0], items: [Int] = []
        for l in lists { items += l; starts.append(items.count) }
        return (starts, items)
    }

    /// Mesh of `mask` (nx × ny × nz, x fastest) with voxel `spacing`; outside the grid is 0.
    /// `origin` is the grid's first voxel in the image's index space (the volume's frame, see
    /// the type's note on holes).
    static func mesh(_ mask: [Bool], nx: Int, ny: Int, nz: Int, spacing: SIMD3<Double>, origin: SIMD3<Int> = .zero) -> Mesh {
        // The mask inside a border of 0 one voxel wide, so a cube's corners need no bounds test.
        let px = nx + 2, py = ny + 2, pz = nz + 2
        let plane = px * py
        var padded = [UInt8](repeating: 0, count: px * py * pz)
        mask.withUnsafeBufferPointer { m in
            for z in 0..<nz { for y in 0..<ny {
                let from = (z * ny + y) * nx, to = ((z + 1) * py + y + 1) * px + 1
                for x in 0..<nx where m[from + x] { padded[to + x] = 1 }
            } }
        }
        // Vertex ids: an edge of the padded lattice, keyed by its lower corner and axis.
        var vertexSeen = [Bool](repeating: false, count: px * py * pz * 3)
        var vertices: [SIMD3<Double>] = []
        var volume = 0.0, area = 0.0
        let offsets = (0..<12).map { edgeMidpoint($0) }
        // The key step of each edge's lower corner from the cube's, and its axis.
        let lowerStep = edges.map { e in let l = corner(e.0); return (Int(l.z) * py + Int(l.y)) * px + Int(l.x) }
        let shift = SIMD3<Double>(Double(origin.x + 1), Double(origin.y + 1), Double(origin.z + 1))
        let (triStarts, tri) = flatTriangles, (usedStarts, used) = flatUsedEdges
        padded.withUnsafeBufferPointer { p in
            for z in -1..<nz {
                for y in -1..<ny {
                    // Cube (x, y, z) has its lower corner at padded (x + 1, y + 1, z + 1); corner
                    // c adds (c & 1, c >> 1 & 1, c >> 2 & 1). Along x, the cube's upper corners
                    // become the next cube's lower ones, so each step reads four voxels.
                    let row = ((z + 1) * py + y + 1) * px
                    @inline(__always) func upper(_ i: Int) -> Int {
                        Int(p[i]) << 1 | Int(p[i + px]) << 3 | Int(p[i + plane]) << 5 | Int(p[i + plane + px]) << 7
                    }
                    // As if a cube before x = −1 had its upper corners at the row's first voxel.
                    var config = upper(row)
                    for x in -1..<nx {
                        config = config >> 1 & 0x55 | upper(row + x + 2)
                        guard config != 0 && config != 255 else { continue }
                        let base = SIMD3(Double(x), Double(y), Double(z))
                        let frame = base + shift
                        var k = triStarts[config]
                        let end = triStarts[config + 1]
                        while k < end {
                            let a = (frame + offsets[tri[k]]) * spacing
                            let b = (frame + offsets[tri[k + 1]]) * spacing
                            let c = (frame + offsets[tri[k + 2]]) * spacing
                            volume += (a * cross(b, c)).sum() / 6
                            let n = cross(b - a, c - a)
                            area += (n * n).sum().squareRoot() / 2
                            k += 3
                        }
                        let cube = row + x + 1
                        for j in usedStarts[config]..<usedStarts[config + 1] {
                            let e = used[j]
                            let key = (cube + lowerStep[e]) * 3 + e / 4
                            if !vertexSeen[key] {
                                vertexSeen[key] = true
                                vertices.append((base + offsets[e]) * spacing)
                            }
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
