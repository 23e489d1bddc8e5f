import Foundation
import KiraCore
import KiraIO
import KiraPreprocess
import KiraTestSupport
import Testing

@Suite("kira preprocess")
struct PreprocessCommandTests {
    /// A positive image with a smooth multiplicative gradient and a box-shaped ROI.
    static func writeInputs(_ dir: URL, size: SIMD3<Int> = [20, 16, 8]) throws -> (image: URL, mask: URL) {
        let g = Geometry(size: size, spacing: [0.8, 0.9, 2.0], origin: [-5, 3, 12])
        var rng = SplitMix64(seed: 5)
        var values = [Float](), mask = [UInt8]()
        for z in 0..<size.z { for y in 0..<size.y { for x in 0..<size.x {
            let tissue = (x - size.x / 2) * (x - size.x / 2) + (y - size.y / 2) * (y - size.y / 2) < 20 ? 200.0 : 100.0
            values.append(Float(tissue * exp(0.03 * Double(x) - 0.02 * Double(y)) * (1 + 0.05 * (rng.unit() - 0.5))))
            mask.append(x >= 6 && x < 14 && y >= 4 && y < 12 && (size.z == 1 || (z >= 2 && z < 6)) ? 1 : 0)
        } } }
        let image = dir.appendingPathComponent("image.nii.gz"), maskURL = dir.appendingPathComponent("mask.nii.gz")
        try NIfTIWriter.write(try Volume(geometry: g, voxels: .float32(values)), to: image)
        try NIfTIWriter.write(try Volume(geometry: g, voxels: .uint8(mask)), to: maskURL)
        return (image, maskURL)
    }

    static func maxDifference(_ a: Volume, _ b: Volume) -> Double {
        var worst = 0.0
        for i in 0..<a.geometry.voxelCount { worst = max(worst, abs(a.voxels[i] - b.voxels[i])) }
        return worst
    }

    @Test("--n4 writes what the library computes, the bias field and a sidecar naming the step")
    func n4MatchesLibrary() throws {
        let dir = try TestPaths.temporaryDirectory("cli-preprocess-n4")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (imageURL, _) = try Self.writeInputs(dir)
        let out = dir.appendingPathComponent("out.nii.gz"), field = dir.appendingPathComponent("field.nii")
        let r = try KiraRun.run(["preprocess", imageURL.path, "-o", out.path, "--n4", "--n4-shrink", "2",
                                 "--n4-iterations", "20,10", "--n4-control-points", "4,5,4", "--bias-field-out", field.path, "--json"])
        #expect(r.status == 0, Comment(rawValue: r.stderr))
        let image = try NIfTIReader.read(imageURL)
        let expected = try N4BiasFieldCorrection.correct(image, settings: N4Settings(shrinkFactor: 2, maximumIterations: [20, 10], controlPoints: [4, 5, 4]))
        let written = try NIfTIReader.read(out)
        #expect(Self.maxDifference(written, expected.corrected) == 0)
        // image = corrected × field, up to Float32 rounding.
        let bias = try NIfTIReader.read(field)
        var worst = 0.0
        for i in 0..<image.geometry.voxelCount {
            worst = max(worst, abs(written.voxels[i] * bias.voxels[i] - image.voxels[i]) / image.voxels[i])
        }
        #expect(worst < 1e-6)
        let sidecar = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("out.json"))) as? [String: Any]
        let steps = sidecar?["PreprocessingSteps"] as? [[String: Any]]
        #expect(steps?.first?["Step"] as? String == "N4")
        #expect(steps?.first?["Iterations"] as? [Int] == expected.iterations)
        #expect((r.json["outputs"] as? [String])?.count == 2)
    }

    @Test("steps run in the documented order: denoise, re-segmentation, z-score inside the mask")
    func chainMatchesLibrary() throws {
        let dir = try TestPaths.temporaryDirectory("cli-preprocess-chain")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (imageURL, maskURL) = try Self.writeInputs(dir)
        let out = dir.appendingPathComponent("out.nii.gz"), maskOut = dir.appendingPathComponent("roi.nii.gz")
        let r = try KiraRun.run(["preprocess", imageURL.path, "-o", out.path, "--mask", maskURL.path, "--mask-out", maskOut.path,
                                 "--denoise", "median", "--kernel", "3", "--range", "120,", "--outliers", "2",
                                 "--zscore", "--zscore-mask", "--json"])
        #expect(r.status == 0, Comment(rawValue: r.stderr))
        let image = try NIfTIReader.read(imageURL)
        let denoised = try IntensityFilters.filter(image, halfWidth: [1, 1, 1], statistic: .median)
        var masks = ROIMasks(try NIfTIReader.read(maskURL))
        Resegmentation.range(denoised, &masks, lower: 120, upper: nil)
        Resegmentation.outliers(denoised, &masks, sigmas: 2)
        let roi = try Volume(geometry: image.geometry, voxels: .uint8(masks.intensity))
        let expected = try IntensityFilters.zScore(denoised, mask: roi)
        #expect(Self.maxDifference(try NIfTIReader.read(out), expected) == 0)
        let writtenMask = try NIfTIReader.read(maskOut)
        #expect(Self.maxDifference(writtenMask, roi) == 0)
        let kept = masks.intensity.reduce(0) { $0 + Int($1) }
        #expect(kept > 0 && kept < 256)
        let steps = (r.json["steps"] as? [[String: Any]])?.compactMap { $0["Step"] as? String }
        #expect(steps == ["Denoise", "Resegmentation", "ZScore"])
    }

    @Test("--resize sets a 2D image's matrix and the mask follows")
    func resize2D() throws {
        let dir = try TestPaths.temporaryDirectory("cli-preprocess-resize")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (imageURL, maskURL) = try Self.writeInputs(dir, size: [20, 16, 1])
        let out = dir.appendingPathComponent("out.nii"), maskOut = dir.appendingPathComponent("roi.nii")
        let r = try KiraRun.run(["preprocess", imageURL.path, "-o", out.path, "--resize", "30x24", "--mask", maskURL.path, "--mask-out", maskOut.path])
        #expect(r.status == 0, Comment(rawValue: r.stderr))
        let expected = try IntensityFilters.resize2D(try NIfTIReader.read(imageURL), width: 30, height: 24)
        let written = try NIfTIReader.read(out)
        #expect(written.geometry.size == SIMD3(30, 24, 1))
        #expect(Self.maxDifference(written, expected) == 0)
        #expect(try NIfTIReader.read(maskOut).geometry.size == SIMD3(30, 24, 1))
    }

    @Test("N4 on an image without positive intensities fails with exit 1 and writes nothing")
    func n4Failure() throws {
        let dir = try TestPaths.temporaryDirectory("cli-preprocess-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let g = Geometry(size: [6, 5, 4])
        let image = dir.appendingPathComponent("neg.nii.gz")
        try NIfTIWriter.write(try Volume(geometry: g, voxels: .float32((0..<120).map { -Float($0) })), to: image)
        let out = dir.appendingPathComponent("out.nii.gz")
        let r = try KiraRun.run(["preprocess", image.path, "-o", out.path, "--n4"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("positive"))
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(leftoverTemporaries(in: dir).isEmpty)
    }

    @Test("usage errors name the option", arguments: [
        (["--zscore-mask"], "--zscore"),
        (["--zscore", "--range", "0,10"], "--mask-out"),
        (["--denoise", "mean", "--kernel", "4"], "--kernel"),
        (["--denoise", "mean"], "--kernel"),
        (["--zscore", "--n4-shrink", "2"], "--n4"),
        (["--n4", "--n4-iterations", "50,x"], "--n4-iterations"),
        (["--n4", "--n4-control-points", "3"], "control points"),
        (["--resize", "960by720"], "--resize"),
        ([String](), "no step"),
    ])
    func usage(extra: [String], mentions: String) throws {
        let dir = try TestPaths.temporaryDirectory("cli-preprocess-usage")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (imageURL, _) = try Self.writeInputs(dir)
        let r = try KiraRun.run(["preprocess", imageURL.path, "-o", dir.appendingPathComponent("o.nii").path] + extra)
        #expect(r.status == 1)
        #expect(r.stderr.contains(mentions), Comment(rawValue: r.stderr))
    }
}
