import Foundation

/// pyradiomics' shape class (pyradiomics 3.x `shape.py` and its C mesh code): marching cubes
/// on the mask padded by one voxel, with vertices at edge midpoints and pyradiomics' own
/// triangle table (the first half of the classic table; a cube with its eighth corner set is
/// read inverted, its tetrahedra volumes negated). Diameters are between mesh vertices; the
/// PCA axes use the population covariance of the voxel centres.
public enum PyradiomicsShape {
    /// Corners of a cube, (dz, dy, dx).
    static let corners: [SIMD3<Int>] = [[0, 0, 0], [0, 0, 1], [0, 1, 1], [0, 1, 0], [1, 0, 0], [1, 0, 1], [1, 1, 1], [1, 1, 0]]
    /// Edge midpoints, (z, y, x) within the cube.
    static let edgeMidpoints: [SIMD3<Double>] = [
        [0, 0, 0.5], [0, 0.5, 1], [0, 1, 0.5], [0, 0.5, 0], [1, 0, 0.5], [1, 0.5, 1],
        [1, 1, 0.5], [1, 0.5, 0], [0.5, 0, 0], [0.5, 0, 1], [0.5, 1, 1], [0.5, 1, 0],
    ]
    /// Triangles (edge triplets) per cube configuration 0…127.
    static let triangles: [[Int]] = [
        [], [0, 8, 3], [1, 9, 0], [1, 8, 3, 1, 9, 8],
        [1, 2, 10], [0, 8, 3, 1, 2, 10], [9, 2, 10, 0, 2, 9], [2, 8, 3, 2, 10, 8, 10, 9, 8],
        [11, 2, 3], [11, 2, 0, 0, 8, 11], [1, 9, 0, 11, 2, 3], [11, 2, 1, 1, 9, 11, 9, 8, 11],
        [3, 10, 1, 11, 10, 3], [10, 1, 0, 0, 8, 10, 8, 11, 10], [9, 0, 3, 3, 11, 9, 11, 10, 9], [9, 8, 10, 11, 10, 8],
        [4, 7, 8], [0, 4, 3, 4, 7, 3], [1, 9, 0, 4, 7, 8], [1, 9, 4, 1, 4, 7, 1, 7, 3],
        [1, 2, 10, 4, 7, 8], [3, 4, 7, 3, 0, 4, 1, 2, 10], [9, 2, 10, 9, 0, 2, 4, 7, 8], [2, 10, 9, 2, 9, 7, 2, 7, 3, 4, 7, 9],
        [4, 7, 8, 11, 2, 3], [11, 4, 7, 11, 2, 4, 2, 0, 4], [1, 9, 0, 4, 7, 8, 11, 2, 3], [4, 7, 11, 9, 4, 11, 11, 2, 9, 1, 9, 2],
        [3, 10, 1, 11, 10, 3, 4, 7, 8], [11, 10, 1, 1, 4, 11, 1, 0, 4, 4, 7, 11], [4, 7, 8, 9, 0, 3, 3, 11, 9, 11, 10, 9], [4, 7, 11, 4, 11, 9, 9, 11, 10],
        [9, 5, 4], [9, 5, 4, 0, 8, 3], [0, 5, 4, 0, 1, 5], [8, 5, 4, 8, 3, 5, 3, 1, 5],
        [1, 2, 10, 9, 5, 4], [0, 8, 3, 1, 2, 10, 9, 5, 4], [2, 10, 5, 5, 4, 2, 2, 4, 0], [2, 10, 5, 3, 2, 5, 3, 5, 4, 8, 3, 4],
        [9, 5, 4, 11, 2, 3], [11, 2, 0, 0, 8, 11, 9, 5, 4], [0, 5, 4, 0, 1, 5, 11, 2, 3], [2, 1, 5, 2, 5, 8, 11, 2, 8, 5, 4, 8],
        [3, 10, 1, 11, 10, 3, 9, 5, 4], [5, 4, 9, 10, 1, 0, 0, 8, 10, 8, 11, 10], [5, 4, 0, 5, 0, 11, 10, 5, 11, 11, 0, 3], [5, 4, 8, 10, 5, 8, 11, 10, 8],
        [7, 8, 9, 5, 7, 9], [3, 0, 9, 5, 3, 9, 3, 5, 7], [7, 8, 0, 0, 1, 7, 7, 1, 5], [1, 5, 7, 1, 7, 3],
        [7, 8, 9, 5, 7, 9, 1, 2, 10], [1, 2, 10, 3, 0, 9, 3, 9, 5, 3, 5, 7], [0, 2, 8, 8, 2, 5, 8, 5, 7, 2, 10, 5], [2, 10, 5, 2, 5, 3, 3, 5, 7],
        [5, 7, 9, 7, 8, 9, 11, 2, 3], [5, 7, 9, 9, 7, 2, 2, 0, 9, 11, 2, 7], [11, 2, 3, 0, 1, 8, 1, 7, 8, 1, 5, 7], [2, 1, 11, 1, 7, 11, 1, 5, 7],
        [7, 8, 9, 5, 7, 9, 3, 10, 1, 11, 10, 3], [5, 7, 0, 5, 0, 9, 7, 11, 0, 10, 1, 0, 11, 10, 0], [11, 10, 0, 0, 3, 11, 10, 5, 0, 0, 7, 8, 5, 7, 0], [11, 10, 5, 5, 7, 11],
        [6, 5, 10], [0, 8, 3, 6, 5, 10], [1, 9, 0, 6, 5, 10], [1, 8, 3, 1, 9, 8, 6, 5, 10],
        [1, 6, 5, 1, 2, 6], [1, 6, 5, 1, 2, 6, 0, 8, 3], [9, 6, 5, 9, 0, 6, 0, 2, 6], [5, 9, 8, 5, 8, 2, 5, 2, 6, 8, 3, 2],
        [11, 2, 3, 6, 5, 10], [11, 2, 0, 0, 8, 11, 6, 5, 10], [1, 9, 0, 11, 2, 3, 6, 5, 10], [11, 2, 1, 1, 9, 11, 9, 8, 11, 6, 5, 10],
        [6, 3, 11, 6, 5, 3, 5, 1, 3], [0, 8, 11, 0, 11, 5, 0, 5, 1, 5, 11, 6], [6, 3, 11, 0, 3, 6, 0, 6, 5, 0, 5, 9], [6, 5, 9, 6, 9, 11, 11, 9, 8],
        [4, 7, 8, 6, 5, 10], [0, 4, 3, 4, 7, 3, 6, 5, 10], [1, 9, 0, 4, 7, 8, 6, 5, 10], [1, 9, 4, 1, 4, 7, 1, 7, 3, 6, 5, 10],
        [4, 7, 8, 1, 6, 5, 1, 2, 6], [0, 4, 3, 4, 7, 3, 1, 6, 5, 1, 2, 6], [4, 7, 8, 9, 6, 5, 9, 0, 6, 0, 2, 6], [7, 3, 9, 4, 7, 9, 3, 2, 9, 5, 9, 6, 2, 6, 9],
        [11, 2, 3, 4, 7, 8, 6, 5, 10], [11, 4, 7, 11, 2, 4, 2, 0, 4, 6, 5, 10], [1, 9, 0, 11, 2, 3, 4, 7, 8, 6, 5, 10], [4, 7, 11, 9, 4, 11, 11, 2, 9, 1, 9, 2, 6, 5, 10],
        [4, 7, 8, 6, 3, 11, 6, 5, 3, 5, 1, 3], [5, 1, 11, 5, 11, 6, 1, 0, 11, 4, 7, 11, 0, 4, 11], [4, 7, 8, 6, 3, 11, 0, 3, 6, 0, 6, 5, 0, 5, 9], [6, 5, 9, 6, 9, 11, 4, 7, 9, 7, 11, 9],
        [10, 4, 9, 6, 4, 10], [10, 4, 9, 6, 4, 10, 0, 8, 3], [0, 1, 10, 10, 6, 0, 6, 4, 0], [1, 8, 3, 1, 6, 8, 8, 6, 4, 6, 1, 10],
        [1, 4, 9, 1, 2, 4, 2, 6, 4], [1, 4, 9, 1, 2, 4, 2, 6, 4, 0, 8, 3], [0, 2, 4, 4, 2, 6], [8, 3, 2, 8, 2, 4, 4, 2, 6],
        [11, 2, 3, 10, 4, 9, 6, 4, 10], [11, 2, 0, 0, 8, 11, 10, 4, 9, 6, 4, 10], [11, 2, 3, 0, 1, 10, 10, 6, 0, 6, 4, 0], [6, 4, 1, 6, 1, 10, 1, 4, 8, 11, 2, 1, 1, 8, 11],
        [9, 6, 4, 3, 6, 9, 1, 3, 9, 11, 6, 3], [1, 8, 11, 0, 8, 1, 11, 6, 1, 1, 4, 9, 6, 4, 1], [6, 3, 11, 0, 3, 6, 6, 4, 0], [8, 6, 4, 6, 8, 11],
        [6, 7, 10, 7, 8, 10, 8, 9, 10], [6, 7, 10, 0, 10, 7, 0, 9, 10, 0, 7, 3], [6, 7, 10, 1, 10, 7, 1, 7, 8, 0, 1, 8], [6, 7, 10, 1, 10, 7, 1, 7, 3],
        [1, 2, 6, 1, 6, 8, 1, 8, 9, 6, 7, 8], [2, 6, 9, 1, 2, 9, 6, 7, 9, 3, 0, 9, 7, 3, 9], [0, 7, 8, 7, 0, 6, 6, 0, 2], [2, 7, 3, 2, 6, 7],
        [11, 2, 3, 6, 7, 10, 7, 8, 10, 8, 9, 10], [2, 0, 7, 11, 2, 7, 0, 9, 7, 6, 7, 10, 9, 10, 7], [6, 7, 10, 1, 10, 7, 1, 7, 8, 0, 1, 8, 11, 2, 3], [11, 2, 1, 1, 7, 11, 10, 6, 1, 1, 6, 7],
        [8, 9, 6, 6, 7, 8, 1, 6, 9, 11, 6, 3, 1, 3, 6], [0, 9, 1, 6, 7, 11], [0, 7, 8, 7, 0, 6, 0, 3, 11, 11, 6, 0], [6, 7, 11],
    ]

    public struct Mesh: Sendable {
        public var volume: Double
        public var area: Double
        /// Maximum diameters: within a slice (same z), column (same y), row (same x), and 3D.
        public var diameters: (slice: Double, column: Double, row: Double, all: Double)
    }

    /// Mesh volume, area and vertex diameters of a mask (numpy order, x fastest), spacing (x, y, z).
    public static func mesh(mask: [Bool], nx: Int, ny: Int, nz: Int, spacing: SIMD3<Double>) -> Mesh {
        // Padded by one voxel on every side.
        let px = nx + 2, py = ny + 2, pz = nz + 2
        var m = [Bool](repeating: false, count: px * py * pz)
        for z in 0..<nz { for y in 0..<ny { for x in 0..<nx where mask[(z * ny + y) * nx + x] {
            m[((z + 1) * py + y + 1) * px + x + 1] = true
        } } }
        let s = SIMD3(spacing.z, spacing.y, spacing.x)
        var volume = 0.0, area = 0.0
        var vertices: [SIMD3<Double>] = []
        let cornerOffsets = corners.map { ($0[0] * py + $0[1]) * px + $0[2] }
        for z in 0..<(pz - 1) { for y in 0..<(py - 1) { for x in 0..<(px - 1) {
            let base = (z * py + y) * px + x
            var cube = 0
            for (k, o) in cornerOffsets.enumerated() where m[base + o] { cube |= 1 << k }
            var sign = 1.0
            if cube & 0x80 != 0 { cube ^= 0xff; sign = -1 }
            let origin = SIMD3(Double(z), Double(y), Double(x))
            // Each vertex once: those on the three edges at the cube's last corner.
            for (corner, edge) in [(6, 6), (4, 7), (3, 11)] where cube & (1 << corner) != 0 {
                vertices.append((origin + edgeMidpoints[edge]) * s)
            }
            if cube == 0 { continue }
            let t = triangles[cube]
            var k = 0
            while k < t.count {
                let a = (origin + edgeMidpoints[t[k]]) * s
                let b = (origin + edgeMidpoints[t[k + 1]]) * s
                let c = (origin + edgeMidpoints[t[k + 2]]) * s
                volume += sign * dot(cross(a, b), c)
                area += 0.5 * (cross(a - c, b - c) * cross(a - c, b - c)).sum().squareRoot()
                k += 3
            }
        } } }
        var d = (0.0, 0.0, 0.0, 0.0)
        vertices.withUnsafeBufferPointer { v in
            for i in stride(from: v.count - 1, through: 1, by: -1) {
                let a = v[i]
                for j in 0..<i {
                    let b = v[j]
                    let ab = a - b
                    let dist = (ab * ab).sum()
                    if a.x == b.x && dist > d.0 { d.0 = dist }
                    if a.y == b.y && dist > d.1 { d.1 = dist }
                    if a.z == b.z && dist > d.2 { d.2 = dist }
                    if dist > d.3 { d.3 = dist }
                }
            }
        }
        return Mesh(volume: volume / 6, area: area,
                    diameters: (d.0.squareRoot(), d.1.squareRoot(), d.2.squareRoot(), d.3.squareRoot()))
    }

    @inline(__always) static func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(a.y * b.z - b.y * a.z, a.z * b.x - b.z * a.x, a.x * b.y - b.x * a.y)
    }

    @inline(__always) static func dot(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { (a * b).sum() }

    /// Eigenvalues (ascending) of the population covariance of the voxel centres in mm.
    static func principalMoments(_ roi: PyradiomicsPipeline.CroppedROI) -> [Double] {
        var pts: [SIMD3<Double>] = []
        for z in 0..<roi.nz { for y in 0..<roi.ny { for x in 0..<roi.nx where roi.mask[(z * roi.ny + y) * roi.nx + x] {
            pts.append(SIMD3(Double(z) * roi.spacing.z, Double(y) * roi.spacing.y, Double(x) * roi.spacing.x))
        } } }
        let n = Double(pts.count)
        let mean = pts.reduce(SIMD3<Double>.zero, +) / n
        var c = [Double](repeating: 0, count: 9)
        for p in pts {
            let d = (p - mean) / n.squareRoot()
            for i in 0..<3 { for j in 0..<3 { c[i * 3 + j] += d[i] * d[j] } }
        }
        return SymmetricEigen.eigenvalues(c, n: 3).map { $0 < 0 && $0 > -1e-10 ? 0 : $0 }.sorted()
    }

    /// The 3D shape features (and the deprecated ones pyradiomics computes when asked).
    public static func features(_ roi: PyradiomicsPipeline.CroppedROI) -> [String: Double] {
        let mesh = mesh(mask: roi.mask, nx: roi.nx, ny: roi.ny, nz: roi.nz, spacing: roi.spacing)
        let e = principalMoments(roi)
        let np = Double(roi.mask.reduce(0) { $0 + ($1 ? 1 : 0) })
        let v = mesh.volume, a = mesh.area
        func axis(_ x: Double) -> Double { x < 0 ? .nan : x.squareRoot() * 4 }
        return [
            "MeshVolume": v, "VoxelVolume": np * roi.spacing.x * roi.spacing.y * roi.spacing.z,
            "SurfaceArea": a, "SurfaceVolumeRatio": a / v,
            "Sphericity": pow(36 * Double.pi * v * v, 1.0 / 3) / a,
            "Compactness1": v / (pow(a, 1.5) * Double.pi.squareRoot()),
            "Compactness2": 36 * Double.pi * v * v / (a * a * a),
            "SphericalDisproportion": a / pow(36 * Double.pi * v * v, 1.0 / 3),
            "Maximum3DDiameter": mesh.diameters.all, "Maximum2DDiameterSlice": mesh.diameters.slice,
            "Maximum2DDiameterColumn": mesh.diameters.column, "Maximum2DDiameterRow": mesh.diameters.row,
            "MajorAxisLength": axis(e[2]), "MinorAxisLength": axis(e[1]), "LeastAxisLength": axis(e[0]),
            "Elongation": e[1] < 0 || e[2] < 0 ? .nan : (e[1] / e[2]).squareRoot(),
            "Flatness": e[0] < 0 || e[2] < 0 ? .nan : (e[0] / e[2]).squareRoot(),
        ]
    }

    /// pyradiomics' shape2D of an ROI one voxel thick along numpy axis `dimension` (0 z, 1 y,
    /// 2 x): marching squares on the padded slice (perimeter, signed mesh surface), vertex
    /// diameter, PCA of the pixel centres. nil when the ROI is thicker than one voxel.
    public static func features2D(_ roi: PyradiomicsPipeline.CroppedROI, dimension: Int) -> [String: Double]? {
        let shape = [roi.nz, roi.ny, roi.nx]
        let spacingZYX = [roi.spacing.z, roi.spacing.y, roi.spacing.x]
        guard shape[dimension] == 1 else { return nil }
        let axes = [0, 1, 2].filter { $0 != dimension }
        let n0 = shape[axes[0]], n1 = shape[axes[1]]
        let s0 = spacingZYX[axes[0]], s1 = spacingZYX[axes[1]]
        // The slice, padded by one pixel.
        let p0 = n0 + 2, p1 = n1 + 2
        var m = [Bool](repeating: false, count: p0 * p1)
        var pixels: [SIMD2<Double>] = []
        for z in 0..<roi.nz { for y in 0..<roi.ny { for x in 0..<roi.nx where roi.mask[(z * roi.ny + y) * roi.nx + x] {
            let idx = [z, y, x]
            let a = idx[axes[0]] + 1, b = idx[axes[1]] + 1
            m[a * p1 + b] = true
        } } }
        for a in 0..<p0 { for b in 0..<p1 where m[a * p1 + b] { pixels.append(SIMD2(Double(a) * s0, Double(b) * s1)) } }
        let corners: [(Int, Int)] = [(0, 0), (0, 1), (1, 1), (1, 0)]
        let edgeMid: [SIMD2<Double>] = [[0, 0.5], [0.5, 1], [1, 0.5], [0.5, 0]]
        let lines: [[Int]] = [[], [3, 0], [0, 1], [3, 1], [1, 2], [1, 2, 3, 0], [0, 2], [3, 2],
                              [2, 3], [2, 0], [0, 1, 2, 3], [2, 1], [1, 3], [1, 0], [0, 3], []]
        let sp = SIMD2(s0, s1)
        var perimeter = 0.0, surface = 0.0
        var vertices: [SIMD2<Double>] = []
        for iy in 0..<(p0 - 1) { for ix in 0..<(p1 - 1) {
            var square = 0
            for (k, c) in corners.enumerated() where m[(iy + c.0) * p1 + ix + c.1] { square |= 1 << k }
            if square == 0 || square == 0xF { continue }
            let origin = SIMD2(Double(iy), Double(ix))
            let l = lines[square]
            var t = 0
            while t < l.count {
                let a = (origin + edgeMid[l[t]]) * sp, b = (origin + edgeMid[l[t + 1]]) * sp
                surface += a.x * b.y - b.x * a.y
                let d = a - b
                perimeter += (d * d).sum().squareRoot()
                t += 2
            }
            if square > 7 { square ^= 0xF }
            for (corner, edge) in [(0, 3), (2, 2)] where square & (1 << corner) != 0 {
                vertices.append((origin + edgeMid[edge]) * sp)
            }
        } }
        surface /= 2
        var diameter = 0.0
        for i in stride(from: vertices.count - 1, through: 1, by: -1) {
            for j in 0..<i { let d = vertices[i] - vertices[j]; diameter = max(diameter, (d * d).sum()) }
        }
        diameter = diameter.squareRoot()
        let np = Double(pixels.count)
        let mean = pixels.reduce(SIMD2<Double>.zero, +) / np
        var c = [0.0, 0.0, 0.0, 0.0]
        for p in pixels {
            let d = (p - mean) / np.squareRoot()
            c[0] += d.x * d.x; c[1] += d.x * d.y; c[2] += d.y * d.x; c[3] += d.y * d.y
        }
        let e = SymmetricEigen.eigenvalues(c, n: 2).map { $0 < 0 && $0 > -1e-10 ? 0 : $0 }.sorted()
        let sphericity = 2 * (Double.pi * surface).squareRoot() / perimeter
        return [
            "MeshSurface": surface, "PixelSurface": np * s0 * s1, "Perimeter": perimeter,
            "PerimeterSurfaceRatio": perimeter / surface, "Sphericity": sphericity,
            "SphericalDisproportion": 1 / sphericity, "MaximumDiameter": diameter,
            "MajorAxisLength": e[1] < 0 ? .nan : e[1].squareRoot() * 4,
            "MinorAxisLength": e[0] < 0 ? .nan : e[0].squareRoot() * 4,
            "Elongation": e[0] < 0 || e[1] < 0 ? .nan : (e[0] / e[1]).squareRoot(),
        ]
    }
}
