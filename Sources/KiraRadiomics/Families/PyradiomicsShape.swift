import Foundation

/// pyradiomics' shape class (pyradiomics 3.x `shape.py` and its C mesh code): marching cubes
/// on the bounding-box mask padded by one voxel (Kira's one `MarchingCubes`, which follows
/// pyradiomics' table and conventions, with the padded box as its frame), vertices at edge
/// midpoints. Diameters are between mesh vertices; the PCA axes use the population covariance
/// of the voxel centres.
public enum PyradiomicsShape {
    public struct Mesh: Sendable {
        public var volume: Double
        public var area: Double
        /// Maximum diameters: within a slice (same z), column (same y), row (same x), and 3D.
        public var diameters: (slice: Double, column: Double, row: Double, all: Double)
    }

    /// Mesh volume, area and vertex diameters of a mask (numpy order, x fastest), spacing (x, y, z).
    public static func mesh(mask: [Bool], nx: Int, ny: Int, nz: Int, spacing: SIMD3<Double>) -> Mesh {
        // Origin zero: the frame is the padded box, as pyradiomics meshes its cropped mask.
        let m = MarchingCubes.mesh(mask, nx: nx, ny: ny, nz: nz, spacing: spacing, origin: .zero)
        return Mesh(volume: m.volume, area: m.area, diameters: diameters(m.vertices, spacing: spacing))
    }

    /// Largest vertex distances: in a plane of equal z (slice), of equal y (column), of equal x
    /// (row), and overall. The farthest pair of a point set, in 3D or within a plane, lies on
    /// its convex hull, whose vertices are among the two extreme points of each grid line along
    /// an axis in that plane; only those candidates are paired (lines along x for 3D, slices
    /// and columns, along y for rows).
    static func diameters(_ vertices: [SIMD3<Double>], spacing: SIMD3<Double>) -> (Double, Double, Double, Double) {
        guard !vertices.isEmpty else { return (0, 0, 0, 0) }
        // Vertices sit on a half-voxel lattice: twice the index is an exact key. The keys of a
        // cropped mask span a small box, so lines and planes are indexed densely (no hashing).
        let keys: [SIMD3<Int>] = vertices.map { v in
            SIMD3(Int((v.x / spacing.x * 2).rounded()), Int((v.y / spacing.y * 2).rounded()), Int((v.z / spacing.z * 2).rounded()))
        }
        var lo = keys[0], hi = keys[0]
        for k in keys { lo = pointwiseMin(lo, k); hi = pointwiseMax(hi, k) }
        let extent = hi &- lo &+ 1
        /// Extremes of the lines along `axis`, in order of the other two coordinates (z, then y
        /// or x), each line's low end first.
        func lineExtremes(along axis: Int) -> [(key: SIMD3<Int>, point: SIMD3<Double>)] {
            let (u, w) = axis == 0 ? (1, 2) : (0, 2)
            var ends = [(lo: Int, hi: Int)](repeating: (-1, -1), count: extent[u] * extent[w])
            for (i, k) in keys.enumerated() {
                let line = (k[w] - lo[w]) * extent[u] + (k[u] - lo[u])
                let e = ends[line]
                if e.lo < 0 {
                    ends[line] = (i, i)
                } else {
                    ends[line] = (keys[e.lo][axis] <= k[axis] ? e.lo : i, keys[e.hi][axis] >= k[axis] ? e.hi : i)
                }
            }
            var out: [(key: SIMD3<Int>, point: SIMD3<Double>)] = []
            for e in ends where e.lo >= 0 {
                out.append((keys[e.lo], vertices[e.lo]))
                if e.hi != e.lo { out.append((keys[e.hi], vertices[e.hi])) }
            }
            return out
        }
        func farthest(_ points: [SIMD3<Double>]) -> Double {
            guard points.count > 1 else { return 0 }
            // A pair is no farther apart than the sum of its distances from the centroid: taking
            // points by that distance, largest first, the search stops as soon as the bound
            // cannot beat the best pair (with a margin for rounding, so the result is exact).
            let centre = points.reduce(SIMD3<Double>.zero, +) / Double(points.count)
            let byRadius = points.map { p -> (r: Double, p: SIMD3<Double>) in
                let d = p - centre
                return ((d * d).sum().squareRoot(), p)
            }.sorted { $0.r > $1.r }
            var best = 0.0
            byRadius.withUnsafeBufferPointer { v in
                for i in 0..<v.count {
                    let a = v[i]
                    if i + 1 < v.count, (a.r + v[i + 1].r) * (a.r + v[i + 1].r) * (1 + 1e-9) < best { break }
                    for j in (i + 1)..<max(v.count, i + 1) {
                        let bound = a.r + v[j].r
                        if bound * bound * (1 + 1e-9) < best { break }
                        let ab = a.p - v[j].p
                        best = max(best, (ab * ab).sum())
                    }
                }
            }
            return best.squareRoot()
        }
        /// Farthest pair within each plane of equal lattice coordinate `axis`.
        func perPlane(_ candidates: [(key: SIMD3<Int>, point: SIMD3<Double>)], axis: Int) -> Double {
            var planes = [[SIMD3<Double>]](repeating: [], count: extent[axis])
            for c in candidates { planes[c.key[axis] - lo[axis]].append(c.point) }
            return planes.reduce(0.0) { max($0, farthest($1)) }
        }
        let alongX = lineExtremes(along: 0)
        let alongY = lineExtremes(along: 1)
        return (perPlane(alongX, axis: 2), perPlane(alongX, axis: 1), perPlane(alongY, axis: 0), farthest(alongX.map(\.point)))
    }

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
