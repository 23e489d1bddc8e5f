import Foundation
import KiraCore
import KiraPreprocess
import KiraTestSupport
import Testing

@Suite("Intensity preprocessing")
struct IntensityFilterTests {
    static func image() throws -> Volume {
        let g = Geometry(size: [9, 8, 5], spacing: [0.5, 0.7, 2])
        var rng = SplitMix64(seed: 11)
        return try Volume(geometry: g, voxels: .float32((0..<g.voxelCount).map { _ in Float((rng.unit() * 1000).rounded()) }))
    }

    @Test("mean and median box filters equal scipy.ndimage (mode nearest)",
          .enabled(if: PythonPeer.has("scipy"), Comment(rawValue: PythonPeer.missing("scipy"))),
          arguments: IntensityFilters.Statistic.allCases, [SIMD3<Int>(1, 1, 1), SIMD3<Int>(2, 1, 0)].map { [$0.x, $0.y, $0.z] })
    func matchesScipy(statistic: IntensityFilters.Statistic, half: [Int]) throws {
        let v = try Self.image()
        let h = SIMD3(half[0], half[1], half[2])
        let kira = try IntensityFilters.filter(v, halfWidth: h, statistic: statistic)
        let dir = try TestPaths.temporaryDirectory("filter")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.csv"), output = dir.appendingPathComponent("out.csv")
        try ((0..<v.geometry.voxelCount).map { "\(v.voxels[$0])" }.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
        let s = v.geometry.size
        try PythonPeer.script("scipy_filter.py", [input.path, output.path] + [s.x, s.y, s.z, 2 * h.x + 1, 2 * h.y + 1, 2 * h.z + 1].map(String.init) + [statistic.rawValue])
        let reference = try String(contentsOf: output, encoding: .utf8).split(separator: "\n").map { Double($0)! }
        var worst = 0.0
        for i in reference.indices { worst = max(worst, abs(kira.voxels[i] - reference[i])) }
        // Kira stores Float32: 1000-scale values carry up to 6e-5 of rounding.
        #expect(worst <= 1e-4, "max difference \(worst)")
    }

    @Test("kernel size in mm becomes the largest odd voxel count that fits")
    func halfWidths() {
        #expect(IntensityFilters.halfWidths(kernelMM: 3, spacing: [0.5, 1, 3]) == SIMD3(2, 1, 0))
        #expect(IntensityFilters.halfWidths(kernelMM: 1, spacing: [0.7, 2, 1]) == SIMD3(0, 0, 0))
    }

    @Test("z-score over the image and inside a mask: mean 0 and population SD 1 where taken")
    func zScore() throws {
        let v = try Self.image()
        let z = try IntensityFilters.zScore(v)
        let n = Double(v.geometry.voxelCount)
        let mean = (0..<v.geometry.voxelCount).reduce(0.0) { $0 + z.voxels[$1] } / n
        let sd = ((0..<v.geometry.voxelCount).reduce(0.0) { $0 + (z.voxels[$1] - mean) * (z.voxels[$1] - mean) } / n).squareRoot()
        #expect(abs(mean) < 1e-6 && abs(sd - 1) < 1e-6)
        let maskValues = (0..<v.geometry.voxelCount).map { UInt8($0 % 3 == 0 ? 1 : 0) }
        let mask = try Volume(geometry: v.geometry, voxels: .uint8(maskValues))
        let zm = try IntensityFilters.zScore(v, mask: mask)
        let inside = (0..<v.geometry.voxelCount).filter { maskValues[$0] == 1 }.map { zm.voxels[$0] }
        let m = inside.reduce(0, +) / Double(inside.count)
        let s = (inside.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(inside.count)).squareRoot()
        #expect(abs(m) < 1e-6 && abs(s - 1) < 1e-6)
        let flat = try Volume(geometry: v.geometry, voxels: .float32([Float](repeating: 3, count: v.geometry.voxelCount)))
        #expect(throws: KiraError.self) { try IntensityFilters.zScore(flat) }
    }

    @Test("resizing a 2D image to a fixed matrix keeps its extent and centre")
    func resize2D() throws {
        let g = Geometry(size: [640, 480, 1], spacing: [0.1, 0.12, 1], origin: [5, 6, 0])
        let v = try Volume(geometry: g, voxels: .float32((0..<g.voxelCount).map { Float($0 % 640) }))
        let r = try IntensityFilters.resize2D(v, width: 960, height: 720)
        #expect(r.geometry.size == SIMD3(960, 720, 1))
        for a in 0..<2 {
            let oldExtent = Double(g.size[a]) * g.spacing[a], newExtent = Double(r.geometry.size[a]) * r.geometry.spacing[a]
            #expect(abs(oldExtent - newExtent) < 1e-9)
        }
        let oldCentre = g.physicalPoint(index: SIMD3(319.5, 239.5, 0)), newCentre = r.geometry.physicalPoint(index: SIMD3(479.5, 359.5, 0))
        #expect(norm(oldCentre - newCentre) < 1e-9)
        // A linear ramp stays a linear ramp: value = x index, 1.5 new voxels per old one.
        #expect(abs(r.voxels[r.linearIndex(x: 300, y: 10, z: 0)] - ((300 + 0.5) / 1.5 - 0.5)) < 1e-4)
    }
}
