import Foundation
@testable import KiraRadiomics
import Testing

/// Marching-cubes volume and area against closed forms.
@Suite struct MeshAnalyticTests {
    static func box(_ a: Int, _ b: Int, _ c: Int, pad: Int = 2) -> (mask: [Bool], n: SIMD3<Int>) {
        let n = SIMD3(a + 2 * pad, b + 2 * pad, c + 2 * pad)
        var m = [Bool](repeating: false, count: n.x * n.y * n.z)
        for z in pad..<(pad + c) { for y in pad..<(pad + b) { for x in pad..<(pad + a) { m[(z * n.y + y) * n.x + x] = true } } }
        return (m, n)
    }

    /// A box of a×b×c voxels, cell by cell (cells between voxel centres): interior cells are
    /// whole, face cells keep a half slab, edge cells a prism of legs s/2, corner cells a
    /// tetrahedron of legs s/2. Volume: s³-weighted (a−1)(b−1)(c−1) + ½·2Σ(a−1)(b−1) +
    /// ⅛·4Σ(a−1) + 8·(1/48); area: the faces, the chamfer strips and the corner triangles.
    static func boxVolumeAndArea(_ a: Int, _ b: Int, _ c: Int, spacing s: SIMD3<Double>) -> (Double, Double) {
        let (ax, by, cz) = (Double(a - 1), Double(b - 1), Double(c - 1))
        let cell = s.x * s.y * s.z
        let faces = ax * by + by * cz + ax * cz
        let volume = cell * (ax * by * cz + faces + (ax + by + cz) / 2 + 1.0 / 6)
        let faceArea = 2 * (ax * by * s.x * s.y + by * cz * s.y * s.z + ax * cz * s.x * s.z)
        func leg(_ u: Double, _ v: Double) -> Double { ((u / 2) * (u / 2) + (v / 2) * (v / 2)).squareRoot() }
        let strips = 4 * (ax * s.x * leg(s.y, s.z) + by * s.y * leg(s.x, s.z) + cz * s.z * leg(s.x, s.y))
        let n = SIMD3(s.y * s.z, s.x * s.z, s.x * s.y) / 4
        let corners = 8 * 0.5 * (n * n).sum().squareRoot()
        return (volume, faceArea + strips + corners)
    }

    @Test(arguments: [(1, 1, 1), (2, 2, 2), (5, 3, 4), (7, 1, 2)])
    func boxMeshIsExact(_ a: Int, _ b: Int, _ c: Int) {
        let s = SIMD3<Double>(0.8, 1.1, 2.5)
        let (mask, n) = Self.box(a, b, c)
        let mesh = MarchingCubes.mesh(mask, nx: n.x, ny: n.y, nz: n.z, spacing: s, origin: [3, -2, 7])
        let (v, area) = Self.boxVolumeAndArea(a, b, c, spacing: s)
        #expect(abs(mesh.volume - v) <= 1e-9 * v, "volume \(mesh.volume) vs \(v)")
        #expect(abs(mesh.area - area) <= 1e-9 * area, "area \(mesh.area) vs \(area)")
    }

    /// A digitised ball of radius 20 voxels: the mesh volume approaches 4/3·πr³ (measured
    /// 0.03 % below) and lies between the
    /// volumes of the balls of radius r − √3/2 and r + √3/2, which bound the voxel set.
    @Test func ballMeshVolumeApproachesTheSphere() {
        let r = 20.0, n = 45
        var mask = [Bool](repeating: false, count: n * n * n)
        let c = 22.3
        for z in 0..<n { for y in 0..<n { for x in 0..<n {
            let d = SIMD3(Double(x) - c, Double(y) - c + 0.4, Double(z) - c - 0.2)
            mask[(z * n + y) * n + x] = (d * d).sum() <= r * r
        } } }
        let mesh = MarchingCubes.mesh(mask, nx: n, ny: n, nz: n, spacing: [1, 1, 1])
        let sphere = 4.0 / 3 * Double.pi * r * r * r
        print("ball r=20: mesh volume \(mesh.volume), sphere \(sphere), relative \(mesh.volume / sphere - 1); area \(mesh.area), sphere \(4 * Double.pi * r * r)")
        #expect(abs(mesh.volume / sphere - 1) < 0.01)
        let lo = 4.0 / 3 * Double.pi * pow(r - 0.75.squareRoot(), 3), hi = 4.0 / 3 * Double.pi * pow(r + 0.75.squareRoot(), 3)
        #expect(lo < mesh.volume && mesh.volume < hi)
    }
}
