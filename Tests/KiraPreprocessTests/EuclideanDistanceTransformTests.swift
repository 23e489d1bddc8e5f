import Foundation
import KiraCore
import KiraPreprocess
import KiraTestSupport
import Testing

@Suite("Euclidean distance transform")
struct EuclideanDistanceTransformTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var size: SIMD3<Int>
        var spacing: SIMD3<Double>
        var density: Double
        var seed: UInt64
        var testDescription: String { "\(size.x)×\(size.y)×\(size.z) at \(spacing.x),\(spacing.y),\(spacing.z) mm, p=\(density)" }
    }

    static let cases: [Case] = [
        Case(size: [9, 7, 5], spacing: [0.7, 1.3, 2.9], density: 0.05, seed: 1),
        Case(size: [12, 10, 8], spacing: [0.45, 0.45, 3.0], density: 0.02, seed: 2),
        Case(size: [6, 11, 9], spacing: [2.0, 0.5, 1.1], density: 0.3, seed: 3),
        Case(size: [15, 13, 1], spacing: [0.8, 1.7, 5.0], density: 0.01, seed: 4),
        Case(size: [1, 1, 17], spacing: [1, 1, 0.6], density: 0.1, seed: 5),
        Case(size: [10, 10, 10], spacing: [1, 1, 1], density: 0.003, seed: 6),
    ]

    static func randomMask(_ c: Case) -> [UInt8] {
        var rng = SplitMix64(seed: c.seed)
        var m = (0..<(c.size.x * c.size.y * c.size.z)).map { i in Double.random(in: 0..<1, using: &rng) < c.density ? UInt8(1 + i % 3) : 0 }
        if !m.contains(where: { $0 != 0 }) { m[m.count / 2] = 1 }
        return m
    }

    /// min over feature voxels of the squared physical distance, by exhaustive search.
    static func bruteForce(_ isFeature: [Bool], size: SIMD3<Int>, spacing: SIMD3<Double>, pad: Bool = false) -> [Double] {
        var features: [SIMD3<Double>] = []
        let lo = pad ? -1 : 0
        for z in lo..<(size.z - lo) {
            for y in lo..<(size.y - lo) {
                for x in lo..<(size.x - lo) {
                    let inside = x >= 0 && y >= 0 && z >= 0 && x < size.x && y < size.y && z < size.z
                    if inside ? isFeature[(z * size.y + y) * size.x + x] : true {
                        features.append(SIMD3(Double(x), Double(y), Double(z)) * spacing)
                    }
                }
            }
        }
        var out: [Double] = []
        for z in 0..<size.z {
            for y in 0..<size.y {
                for x in 0..<size.x {
                    let p = SIMD3(Double(x), Double(y), Double(z)) * spacing
                    out.append(features.map { let d = $0 - p; return (d * d).sum() }.min() ?? .infinity)
                }
            }
        }
        return out
    }

    @Test("squared distances equal brute force exactly (1e-9 mm²)", arguments: cases)
    func bruteForceFeatures(_ c: Case) {
        let mask = Self.randomMask(c)
        let edt = EuclideanDistanceTransform.squaredDistances(to: mask, size: c.size, spacing: c.spacing)
        let ref = Self.bruteForce(mask.map { $0 != 0 }, size: c.size, spacing: c.spacing)
        let maxDiff = zip(edt, ref).map { abs($0 - $1) }.max() ?? 0
        #expect(maxDiff <= 1e-9, "max |EDT − brute force| = \(maxDiff) mm²")
    }

    @Test("distance to background equals brute force, with and without a background border", arguments: cases)
    func bruteForceBackground(_ c: Case) {
        // Dense masks so most voxels are inside.
        let mask = Self.randomMask(c).map { $0 == 0 ? UInt8(1) : 0 }
        for pad in [false, true] {
            let edt = EuclideanDistanceTransform.squaredDistancesToBackground(of: mask, size: c.size, spacing: c.spacing,
                                                                              outsideIsBackground: pad)
            let ref = Self.bruteForce(mask.map { $0 == 0 }, size: c.size, spacing: c.spacing, pad: pad)
            let maxDiff = zip(edt, ref).map { $0 == $1 ? 0 : abs($0 - $1) }.max() ?? 0
            #expect(maxDiff <= 1e-9, "outsideIsBackground=\(pad): max difference \(maxDiff) mm²")
        }
    }

    @Test("an empty mask gives +infinity everywhere; a full one gives 0")
    func emptyAndFull() {
        let size = SIMD3(4, 3, 2)
        let empty = EuclideanDistanceTransform.squaredDistances(to: [UInt8](repeating: 0, count: 24), size: size, spacing: [1, 2, 3])
        #expect(empty.allSatisfy { $0 == .infinity })
        let full = EuclideanDistanceTransform.distances(to: [UInt8](repeating: 1, count: 24), size: size, spacing: [1, 2, 3])
        #expect(full.allSatisfy { $0 == 0 })
        // A full mask has no background inside the image; with a background border, the
        // corner voxel is one x-spacing (1 mm) away.
        let noBackground = EuclideanDistanceTransform.squaredDistancesToBackground(of: [UInt8](repeating: 1, count: 24), size: size, spacing: [1, 2, 3])
        #expect(noBackground.allSatisfy { $0 == .infinity })
        let bordered = EuclideanDistanceTransform.distancesToBackground(of: [UInt8](repeating: 1, count: 24), size: size, spacing: [1, 2, 3], outsideIsBackground: true)
        #expect(bordered[0] == 1)
        #expect(bordered.allSatisfy { $0 >= 1 && $0 <= 3 })
    }

    @Test("a single voxel gives the analytic distance field")
    func singleVoxel() {
        let size = SIMD3(5, 6, 7), s = SIMD3(0.5, 1.25, 2.5)
        var m = [UInt8](repeating: 0, count: 210)
        m[(3 * 6 + 2) * 5 + 1] = 1
        let d = EuclideanDistanceTransform.distances(to: m, size: size, spacing: s)
        let p = (4 * 6 + 5) * 5 + 4  // voxel (4, 5, 4)
        let expected = ((3 * 0.5) * (3 * 0.5) + (3 * 1.25) * (3 * 1.25) + 2.5 * 2.5).squareRoot()
        #expect(abs(d[p] - expected) < 1e-12)
    }

    @Test("equals scipy.ndimage.distance_transform_edt with sampling on a 40×35×20 anisotropic mask",
          .enabled(if: PythonPeer.has("scipy"), Comment(rawValue: PythonPeer.missing("scipy"))))
    func scipyPeer() throws {
        let c = Case(size: [40, 35, 20], spacing: [0.68, 0.73, 2.2], density: 0.004, seed: 42)
        let mask = Self.randomMask(c)
        let dir = try TestPaths.temporaryDirectory("kira-edt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("mask.u8"), output = dir.appendingPathComponent("edt.f64")
        try PythonPeer.writeRaw(mask, to: input)
        try PythonPeer.run("""
            import sys, numpy as np
            from scipy.ndimage import distance_transform_edt
            m = np.fromfile(sys.argv[1], dtype=np.uint8).reshape(20, 35, 40)
            d = distance_transform_edt(m == 0, sampling=(2.2, 0.73, 0.68))
            d.astype(np.float64).tofile(sys.argv[2])
            """, arguments: [input.path, output.path])
        let ref = try PythonPeer.readDoubles(output)
        let edt = EuclideanDistanceTransform.distances(to: mask, size: c.size, spacing: c.spacing)
        #expect(ref.count == edt.count)
        let maxDiff = zip(edt, ref).map { abs($0 - $1) }.max() ?? .infinity
        print("EDT vs scipy distance_transform_edt: max |difference| = \(maxDiff) mm")
        #expect(maxDiff <= 1e-9, "max |Kira − scipy| = \(maxDiff) mm")
    }
}
