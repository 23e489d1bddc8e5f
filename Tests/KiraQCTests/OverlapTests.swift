import Foundation
import KiraCore
import KiraQC
import KiraTestSupport
import Testing

/// Ellipsoids voxelised on anisotropic grids (centres and semi-axes in mm).
struct EllipsoidPair: Sendable, CustomTestStringConvertible {
    var size: SIMD3<Int>
    var spacing: SIMD3<Double>
    var centreA: SIMD3<Double>, axesA: SIMD3<Double>
    var centreB: SIMD3<Double>, axesB: SIMD3<Double>
    var testDescription: String { "\(size.x)×\(size.y)×\(size.z) at \(spacing.x),\(spacing.y),\(spacing.z) mm" }

    static func mask(_ size: SIMD3<Int>, _ spacing: SIMD3<Double>, _ c: SIMD3<Double>, _ r: SIMD3<Double>) -> [UInt8] {
        var m = [UInt8](repeating: 0, count: size.x * size.y * size.z)
        for z in 0..<size.z {
            for y in 0..<size.y {
                for x in 0..<size.x {
                    let d = (SIMD3(Double(x), Double(y), Double(z)) * spacing - c) / r
                    if (d * d).sum() <= 1 { m[(z * size.y + y) * size.x + x] = 1 }
                }
            }
        }
        return m
    }
    var a: [UInt8] { Self.mask(size, spacing, centreA, axesA) }
    var b: [UInt8] { Self.mask(size, spacing, centreB, axesB) }
    var geometry: Geometry { Geometry(size: size, spacing: spacing, origin: [3, -7, 11]) }
}

@Suite("Mask overlap")
struct OverlapTests {
    static let pairs: [EllipsoidPair] = [
        // Two offset spheres, strongly anisotropic grid.
        EllipsoidPair(size: [40, 36, 18], spacing: [0.6, 0.8, 2.5], centreA: [12, 14, 22], axesA: [7, 7, 7],
                      centreB: [14, 13, 24], axesB: [7.5, 7.5, 7.5]),
        // Ellipsoid inside a larger one.
        EllipsoidPair(size: [30, 30, 12], spacing: [1.1, 0.7, 3.0], centreA: [16, 10, 17], axesA: [10, 7, 12],
                      centreB: [15, 11, 16], axesB: [5, 3, 6]),
        // Ellipsoids cut by the image border.
        EllipsoidPair(size: [25, 20, 16], spacing: [0.9, 0.9, 1.8], centreA: [2, 9, 14], axesA: [9, 6, 10],
                      centreB: [4, 8, 12], axesB: [8, 7, 12]),
        // A single slice (2D contours).
        EllipsoidPair(size: [50, 44, 1], spacing: [0.3, 0.35, 4], centreA: [7, 7, 0], axesA: [5, 4, 3],
                      centreB: [8, 7.5, 0], axesB: [4, 5, 3]),
    ]

    /// Surface voxels' physical positions, then exhaustive nearest-neighbour distances.
    static func bruteSurfaceDistances(_ p: EllipsoidPair) -> [Double] {
        func points(_ m: [UInt8]) -> [SIMD3<Double>] {
            let s = p.size
            var out: [SIMD3<Double>] = []
            func inside(_ x: Int, _ y: Int, _ z: Int) -> Bool {
                x >= 0 && y >= 0 && z >= 0 && x < s.x && y < s.y && z < s.z && m[(z * s.y + y) * s.x + x] != 0
            }
            for z in 0..<s.z {
                for y in 0..<s.y {
                    for x in 0..<s.x where inside(x, y, z) {
                        let steps = [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)]
                            .filter { ($0.0 == 0 || s.x > 1) && ($0.1 == 0 || s.y > 1) && ($0.2 == 0 || s.z > 1) }
                        if steps.contains(where: { !inside(x + $0.0, y + $0.1, z + $0.2) }) {
                            out.append(SIMD3(Double(x), Double(y), Double(z)) * p.spacing)
                        }
                    }
                }
            }
            return out
        }
        let sa = points(p.a), sb = points(p.b)
        func nearest(_ from: [SIMD3<Double>], _ to: [SIMD3<Double>]) -> [Double] {
            from.map { q in to.map { let d = $0 - q; return (d * d).sum() }.min()!.squareRoot() }
        }
        return (nearest(sa, sb) + nearest(sb, sa)).sorted()
    }

    @Test("HD95 and ASSD equal an exhaustive surface-to-surface computation (1e-9 mm)", arguments: pairs)
    func bruteForce(_ p: EllipsoidPair) throws {
        let m = try OverlapMeasures.compute(a: p.a, b: p.b, geometry: p.geometry)
        let d = Self.bruteSurfaceDistances(p)
        let assd = d.reduce(0, +) / Double(d.count)
        let h = 0.95 * Double(d.count - 1), lo = Int(h)
        let hd95 = d[lo] + (h - Double(lo)) * (d[min(lo + 1, d.count - 1)] - d[lo])
        #expect(abs(try #require(m.assd) - assd) <= 1e-9)
        #expect(abs(try #require(m.hd95) - hd95) <= 1e-9)
        #expect(abs(try #require(m.surfaceHausdorff) - d.last!) <= 1e-9)
        print("overlap brute force \(p.testDescription): ASSD \(m.assd!) vs \(assd), HD95 \(m.hd95!) vs \(hd95)")
    }

    @Test("Dice, Jaccard, volume similarity and Hausdorff equal SimpleITK; HD95/ASSD equal scipy surfaces (1e-9)",
          .enabled(if: PythonPeer.has("SimpleITK"), Comment(rawValue: PythonPeer.missing("SimpleITK"))), arguments: pairs)
    func simpleITK(_ p: EllipsoidPair) throws {
        let m = try OverlapMeasures.compute(a: p.a, b: p.b, geometry: p.geometry)
        let dir = try TestPaths.temporaryDirectory("kira-overlap")
        defer { try? FileManager.default.removeItem(at: dir) }
        let fa = dir.appendingPathComponent("a.u8"), fb = dir.appendingPathComponent("b.u8")
        try PythonPeer.writeRaw(p.a, to: fa)
        try PythonPeer.writeRaw(p.b, to: fb)
        let script = """
            import sys, json, numpy as np, SimpleITK as sitk
            from scipy import ndimage
            nx, ny, nz = map(int, sys.argv[3:6]); sp = tuple(map(float, sys.argv[6:9]))
            arrs = [np.fromfile(f, dtype=np.uint8).reshape(nz, ny, nx) for f in sys.argv[1:3]]
            imgs = []
            for a in arrs:
                im = sitk.GetImageFromArray(a); im.SetSpacing(sp); im.SetOrigin((3, -7, 11)); imgs.append(im)
            lo = sitk.LabelOverlapMeasuresImageFilter(); lo.Execute(imgs[0], imgs[1])
            hd = sitk.HausdorffDistanceImageFilter(); hd.Execute(imgs[0], imgs[1])
            # Surfaces as MedPy does it (mask minus its 6-connected erosion, outside = background),
            # eroding only along axes longer than one voxel.
            def surface(a):
                st = ndimage.generate_binary_structure(3, 1)
                for ax, n in enumerate(a.shape):
                    if n == 1:
                        sl = [1, 1, 1]; sl[ax] = 0; st[tuple(sl)] = False; sl[ax] = 2; st[tuple(sl)] = False
                return a.astype(bool) & ~ndimage.binary_erosion(a.astype(bool), structure=st, border_value=0)
            sa, sb = surface(arrs[0]), surface(arrs[1])
            zyx = sp[::-1]
            d = np.concatenate([ndimage.distance_transform_edt(~sb, sampling=zyx)[sa], ndimage.distance_transform_edt(~sa, sampling=zyx)[sb]])
            print(json.dumps([lo.GetDiceCoefficient(), lo.GetJaccardCoefficient(), lo.GetVolumeSimilarity(),
                              hd.GetHausdorffDistance(), float(np.percentile(d, 95)), float(d.mean())]))
            """
        let args = [fa.path, fb.path] + [p.size.x, p.size.y, p.size.z].map(String.init) + [p.spacing.x, p.spacing.y, p.spacing.z].map { "\($0)" }
        let ref = try #require(try JSONSerialization.jsonObject(with: Data(PythonPeer.run(script, arguments: args).utf8)) as? [Double])
        let mine = [m.dice, m.jaccard, m.volumeSimilarity, m.hausdorff ?? .nan, m.hd95 ?? .nan, m.assd ?? .nan]
        let names = ["Dice", "Jaccard", "volume similarity", "Hausdorff", "HD95", "ASSD"]
        var worst = 0.0
        for (name, (k, r)) in zip(names, zip(mine, ref)) {
            worst = max(worst, abs(k - r))
            #expect(abs(k - r) <= 1e-9, "\(name): kira \(k), peer \(r)")
        }
        print("overlap vs SimpleITK/scipy \(p.testDescription): max |difference| \(worst)")
    }

    @Test("empty masks: documented conventions, never NaN")
    func emptyMasks() throws {
        let g = Geometry(size: [4, 4, 4], spacing: [1, 1, 2])
        let empty = [UInt8](repeating: 0, count: 64)
        var one = empty; one[21] = 1; one[22] = 1
        let both = try OverlapMeasures.compute(a: empty, b: empty, geometry: g)
        #expect(both.dice == 1 && both.jaccard == 1 && both.volumeSimilarity == 0 && both.hausdorff == 0 && both.hd95 == 0 && both.assd == 0)
        #expect(both.note?.contains("both masks are empty") == true)
        let onlyA = try OverlapMeasures.compute(a: one, b: empty, geometry: g)
        #expect(onlyA.dice == 0 && onlyA.jaccard == 0 && onlyA.volumeSimilarity == 2)
        #expect(onlyA.hausdorff == nil && onlyA.hd95 == nil && onlyA.assd == nil)
        #expect(onlyA.note == "mask B is empty: surface distances are undefined")
        #expect(onlyA.volumeA == 4)
    }

    @Test("analytic: a box and the same box shifted by 3 voxels along z (2 mm slices)")
    func shiftedBox() throws {
        let size = SIMD3(10, 10, 16), g = Geometry(size: size, spacing: [0.5, 0.5, 2])
        func box(_ z0: Int) -> [UInt8] {
            var m = [UInt8](repeating: 0, count: 1600)
            for z in z0..<(z0 + 6) { for y in 2..<7 { for x in 3..<8 { m[(z * 10 + y) * 10 + x] = 1 } } }
            return m
        }
        let m = try OverlapMeasures.compute(a: box(2), b: box(5), geometry: g)
        // 5×5×6 boxes overlapping in 3 slices: Dice = 2·75/300, Jaccard = 75/225.
        #expect(abs(m.dice - 0.5) < 1e-15 && abs(m.jaccard - 1.0 / 3) < 1e-15)
        // Every voxel of A's first three slices is 3 slices (6 mm) from B.
        #expect(m.hausdorff == 6)
    }
}
