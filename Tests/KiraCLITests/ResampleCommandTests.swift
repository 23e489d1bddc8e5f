import Foundation
import KiraCore
import KiraIO
import KiraPreprocess
import KiraTestSupport
import Testing

@Suite("kira resample")
struct ResampleCommandTests {
    static func writeImage(_ dir: URL, size: SIMD3<Int> = [9, 7, 5], spacing: SIMD3<Double> = [0.8, 1.1, 2.5]) throws -> (URL, Volume) {
        let g = Geometry(size: size, spacing: spacing, origin: [3, -4, 10])
        let values = (0..<g.voxelCount).map { Int16(($0 * 37) % 200 - 50) }
        let v = try Volume(geometry: g, voxels: .int16(values))
        let url = dir.appendingPathComponent("image.nii.gz")
        try NIfTIWriter.write(v, to: url)
        return (url, v)
    }

    @Test("the command writes what the library computes, with a sidecar naming the policy", arguments: ["origin", "center"])
    func matchesLibrary(grid: String) throws {
        let dir = try TestPaths.temporaryDirectory("cli-resample")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (input, _) = try Self.writeImage(dir)
        // The expectation starts from the file as stored (NIfTI keeps spacing as Float32).
        let volume = try NIfTIReader.read(input)
        let out = dir.appendingPathComponent("out.nii.gz")
        let r = try KiraRun.run(["resample", input.path, "-o", out.path, "--spacing", "1", "--grid", grid,
                                 "--interpolator", "linear", "--json"])
        #expect(r.status == 0, Comment(rawValue: r.stderr))
        let policy = GridPolicy(rawValue: grid)!
        let target = try ResampleGrid.make(from: volume.geometry, spacing: [1, 1, 1], policy: policy)
        let expected = try Resampler.resample(volume, onto: target, interpolator: .linear,
                                              outside: policy == .origin ? .constant(0) : .nearestEdge)
        let written = try NIfTIReader.read(out)
        #expect(written.geometry.size == target.size)
        #expect(norm(written.geometry.origin - target.origin) < 1e-4)
        var maxDiff = 0.0
        for i in 0..<target.voxelCount { maxDiff = max(maxDiff, abs(written.voxels[i] - expected.voxels[i])) }
        #expect(maxDiff == 0)
        let sidecar = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("out.json"))) as? [String: Any]
        #expect(sidecar?["ResampleGridPolicy"] as? String == grid)
        #expect(r.json["grid"] as? String == grid)
        #expect((r.json["output_size"] as? [Int]) == [target.size.x, target.size.y, target.size.z])
    }

    @Test("a mask on another grid fails with the difference named and nothing written")
    func maskOnOtherGrid() throws {
        let dir = try TestPaths.temporaryDirectory("cli-resample-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (input, _) = try Self.writeImage(dir)
        let g = Geometry(size: [9, 7, 5], spacing: [0.8, 1.1, 2.5], origin: [3, -4, 12])
        let mask = try Volume(geometry: g, voxels: .uint8([UInt8](repeating: 1, count: g.voxelCount)))
        let maskURL = dir.appendingPathComponent("mask.nii.gz")
        try NIfTIWriter.write(mask, to: maskURL)
        let r = try KiraRun.run(["resample", input.path, "-o", dir.appendingPathComponent("o.nii.gz").path,
                                 "--mask", maskURL.path, "--mask-out", dir.appendingPathComponent("m.nii.gz").path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("mask.nii.gz") && r.stderr.contains("origin"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("m.nii.gz").path))
        #expect(leftoverTemporaries(in: dir).isEmpty)
    }

    @Test("bad spacing is a usage error", arguments: ["0", "1,2", "a", "-1,1,1"])
    func badSpacing(spacing: String) throws {
        let dir = try TestPaths.temporaryDirectory("cli-resample-usage")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (input, _) = try Self.writeImage(dir)
        let r = try KiraRun.run(["resample", input.path, "-o", dir.appendingPathComponent("o.nii").path, "--spacing", spacing])
        #expect(r.status == 1)
        #expect(r.stderr.contains("--spacing"))
    }
}
