import Foundation
import KiraCore
import KiraPreprocess
import KiraQC
import KiraTestSupport
import Testing

@Suite("Segmentation QC")
struct SegmentationQCTests {
    static func randomMask(_ size: SIMD3<Int>, density: Double, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        return (0..<(size.x * size.y * size.z)).map { _ in Double.random(in: 0..<1, using: &rng) < density ? 1 : 0 }
    }

    @Test("26-connected component sizes equal scipy.ndimage.label with a 3×3×3 structure",
          .enabled(if: PythonPeer.has("scipy"), Comment(rawValue: PythonPeer.missing("scipy"))))
    func componentsAgainstScipy() throws {
        let dir = try TestPaths.temporaryDirectory("kira-cc")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (i, density) in [0.05, 0.12, 0.2].enumerated() {
            let size = SIMD3(23, 19, 11)
            let mask = Self.randomMask(size, density: density, seed: UInt64(100 + i))
            let f = dir.appendingPathComponent("m\(i).u8")
            try PythonPeer.writeRaw(mask, to: f)
            let out = try PythonPeer.run("""
                import sys, json, numpy as np
                from scipy import ndimage
                m = np.fromfile(sys.argv[1], dtype=np.uint8).reshape(11, 19, 23)
                lab, n = ndimage.label(m, structure=np.ones((3, 3, 3)))
                print(json.dumps(sorted(np.bincount(lab.ravel())[1:].tolist(), reverse=True)))
                """, arguments: [f.path])
            let ref = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [Int])
            let mine = ConnectedComponents.sizes(of: mask, size: size)
            #expect(mine == ref, "density \(density): \(mine.count) components vs scipy \(ref.count)")
            let (labels, sizes) = ConnectedComponents.label(mask, size: size)
            #expect(sizes.sorted(by: >) == ref)
            #expect(labels.filter { $0 != 0 }.count == mask.filter { $0 != 0 }.count)
        }
    }

    @Test("diagonal neighbours join under 26-connectivity")
    func diagonal() {
        var m = [UInt8](repeating: 0, count: 27)
        m[0] = 1; m[13] = 1; m[26] = 1      // corners and centre of a 3×3×3 cube
        m[2] = 1                             // (2,0,0) touches the centre by a corner
        #expect(ConnectedComponents.sizes(of: m, size: [3, 3, 3]) == [4])
        m = [UInt8](repeating: 0, count: 27); m[0] = 1; m[2] = 1
        #expect(ConnectedComponents.sizes(of: m, size: [3, 3, 3]) == [1, 1])
    }

    static func volume(_ values: [Float], size: SIMD3<Int>, spacing: SIMD3<Double> = [1, 1, 2]) throws -> Volume {
        try Volume(geometry: Geometry(size: size, spacing: spacing), voxels: .float32(values))
    }

    @Test("a clean mask passes; its volume and bounding box are exact")
    func clean() throws {
        let size = SIMD3(10, 10, 10)
        var v = [Float](repeating: 0, count: 1000)
        for z in 2..<7 { for y in 3..<8 { for x in 1..<5 { v[(z * 10 + y) * 10 + x] = 1 } } }
        let image = Geometry(size: size, spacing: [1, 1, 2])
        let qc = try SegmentationQC.check(image: image, mask: Self.volume(v, size: size))
        #expect(qc.passed, "\(qc.findings)")
        #expect(qc.voxelCount == 100 && qc.volume == 200)
        #expect(qc.boundingBox?.lower == SIMD3(1, 3, 2) && qc.boundingBox?.upper == SIMD3(4, 7, 6))
        #expect(qc.components == [100])
    }

    @Test("every finding is reported with its numbers")
    func findings() throws {
        let size = SIMD3(6, 5, 4)
        var v = [Float](repeating: 0, count: 120)
        v[0] = 1                      // corner: touches x-, y-, z-
        v[(3 * 5 + 4) * 6 + 5] = 2    // opposite corner, another label
        v[(2 * 5 + 2) * 6 + 2] = 1.5  // a non-integer value
        let image = Geometry(size: size, spacing: [1, 1, 2], origin: [0, 0, 0.5])
        let qc = try SegmentationQC.check(image: image, mask: Self.volume(v, size: size))
        let byCheck = Dictionary(uniqueKeysWithValues: qc.findings.map { ($0.check, $0.message) })
        #expect(byCheck[.gridMismatch]?.contains("origin differs by 0.5 mm") == true)
        #expect(byCheck[.tiny]?.contains("3 voxels (6 mm³)") == true)
        #expect(byCheck[.nonBinary]?.contains("labels 1 (1 voxels), 1.5 (1 voxels), 2 (1 voxels)") == true)
        #expect(qc.borderFaces == ["x-", "x+", "y-", "y+", "z-", "z+"])
        #expect(byCheck[.multipleComponents]?.contains("3 connected components") == true)
        #expect(qc.gridDifferences == [.origin(distance: 0.5)])
    }

    @Test("empty and NaN masks are findings, not crashes; a 2D mask has no z border")
    func emptyAndFlat() throws {
        let image = Geometry(size: [4, 4, 1])
        let empty = try SegmentationQC.check(image: image, mask: Self.volume([Float](repeating: 0, count: 16), size: [4, 4, 1], spacing: [1, 1, 1]))
        #expect(empty.findings.map(\.check) == [.empty])
        var v = [Float](repeating: 0, count: 16)
        v[5] = 1; v[6] = .nan
        let flat = try SegmentationQC.check(image: image, mask: Self.volume(v, size: [4, 4, 1], spacing: [1, 1, 1]), minVoxels: 1)
        #expect(flat.borderFaces.isEmpty)
        #expect(flat.findings.map(\.check) == [.nonBinary])
        #expect(flat.findings[0].message.contains("1 NaN or infinite voxel(s)"))
    }
}
