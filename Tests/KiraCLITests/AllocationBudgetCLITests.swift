import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

/// Issue 18 item 1: a grid too large to allocate fails its case with a message naming the
/// file and the size; it never aborts the process (exit 134), and a cohort goes on.
@Suite("Allocation budget (kira resample, features)")
struct AllocationBudgetCLITests {
    /// firstorder only keeps the cohort quick; the resampling is what is under test.
    static func params(_ dir: URL, spacing: Double) throws -> String {
        let url = dir.appendingPathComponent("params.yaml")
        try """
        setting:
          resampledPixelSpacing: [\(spacing), \(spacing), \(spacing)]
          interpolator: sitkBSpline
          binWidth: 25
        featureClass:
          firstorder:
        """.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test("resample --spacing 0.01 on 64×64×32 exits 1 naming the image and the size, writes nothing")
    func resampleTooFine() throws {
        let dir = try TestPaths.temporaryDirectory("budget-resample")
        defer { try? FileManager.default.removeItem(at: dir) }
        let g = Geometry(size: [64, 64, 32], spacing: [1, 1, 1])
        let input = dir.appendingPathComponent("small.nii.gz")
        try NIfTIWriter.write(try Volume(geometry: g, voxels: .float32([Float](repeating: 1, count: g.voxelCount))), to: input)
        let out = dir.appendingPathComponent("out.nii.gz")
        let r = try KiraRun.run(["resample", input.path, "-o", out.path, "--spacing", "0.01"])
        // Exit 1 (not 134, SIGABRT): 6400×6400×3200 Float32 voxels are 524 GB.
        #expect(r.status == 1, Comment(rawValue: r.stderr))
        #expect(r.stderr.contains("kira resample: resampled grid of image \(input.path)"), Comment(rawValue: r.stderr))
        #expect(r.stderr.contains("too large: 6400×6400×3200 = 131072000000 voxels × 4 bytes = 524288000000 bytes"), Comment(rawValue: r.stderr))
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.json").path))
        // A resampled grid passes under a budget that holds it, and fails under a smaller one
        // (16×16×8 voxels of 1 mm at 0.5 mm are a 32×32×16 grid, 65536 bytes of Float32; the
        // input's own 8192 bytes are under both budgets, which the readers check too).
        let tiny = dir.appendingPathComponent("tiny.nii.gz")
        let tg = Geometry(size: [16, 16, 8], spacing: [1, 1, 1])
        try NIfTIWriter.write(try Volume(geometry: tg, voxels: .float32([Float](repeating: 1, count: tg.voxelCount))), to: tiny)
        let coarse = dir.appendingPathComponent("coarse.nii.gz")
        let small = try runWithBudget(["resample", tiny.path, "-o", coarse.path, "--spacing", "0.5"], budget: "65535")
        #expect(small.status == 1 && small.stderr.contains("16384 voxels × 4 bytes = 65536 bytes"), Comment(rawValue: small.stderr))
        let fits = try runWithBudget(["resample", tiny.path, "-o", coarse.path, "--spacing", "0.5"], budget: "64K")
        #expect(fits.status == 0, Comment(rawValue: fits.stderr))
        #expect(try NIfTIReader.read(coarse).geometry.size == [32, 32, 16])
    }

    @Test("a NRRD header whose sizes overflow a 64-bit count is refused, not trapped")
    func nrrdSizesOverflow() throws {
        let dir = try TestPaths.temporaryDirectory("budget-nrrd")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("huge.nrrd")
        // 2^32 × 2^32 × 2^32 overflows Int: multiplying the sizes used to trap.
        try Data("NRRD0004\ntype: float\ndimension: 3\nsizes: 4294967296 4294967296 4294967296\nencoding: raw\nendian: little\n\n\u{0}\u{0}\u{0}\u{0}".utf8)
            .write(to: url)
        let r = try KiraRun.run(["resample", url.path, "-o", dir.appendingPathComponent("o.nii").path])
        #expect(r.status == 1, Comment(rawValue: r.stderr))
        #expect(r.stderr.contains("\(url.path): voxel data (field sizes): too large: 4294967296×4294967296×4294967296 elements overflow"),
                Comment(rawValue: r.stderr))
    }

    /// A NIfTI-1 header (348 bytes, extension flag, 64 zero bytes of "data") declaring `dims`.
    static func niftiHeader(_ dims: [Int16], datatype: Int16, bitpix: Int16) -> Data {
        var h = [UInt8](repeating: 0, count: 352 + 64)
        func put<T: FixedWidthInteger>(_ v: T, _ at: Int) { withUnsafeBytes(of: v.littleEndian) { for (k, b) in $0.enumerated() { h[at + k] = b } } }
        put(Int32(348), 0)
        for (k, d) in ([Int16(dims.count)] + dims + Array(repeating: 1, count: 7 - dims.count)).enumerated() { put(d, 40 + 2 * k) }
        put(datatype, 70); put(bitpix, 72)
        for k in 0..<8 { put(Float(1).bitPattern, 76 + 4 * k) }
        put(Float(352).bitPattern, 108)
        for (k, b) in "n+1\0".utf8.enumerated() { h[344 + k] = b }
        return Data(h)
    }

    @Test("a NIfTI header declaring 30000³ voxels, or a product past Int.max, is refused as too large")
    func niftiDims() throws {
        let dir = try TestPaths.temporaryDirectory("budget-nifti")
        defer { try? FileManager.default.removeItem(at: dir) }
        let big = dir.appendingPathComponent("big.nii"), huge = dir.appendingPathComponent("huge.nii")
        try Self.niftiHeader([30000, 30000, 30000], datatype: 16, bitpix: 32).write(to: big)
        try Self.niftiHeader(Array(repeating: 32767, count: 7), datatype: 64, bitpix: 64).write(to: huge)
        let r = try KiraRun.run(["resample", big.path, "-o", dir.appendingPathComponent("o.nii").path])
        #expect(r.status == 1, Comment(rawValue: r.stderr))
        // 98 TiB: the old message called it a truncated file.
        #expect(r.stderr.contains("\(big.path): voxel data (header dim): too large: 30000×30000×30000 = 27000000000000 voxels × 4 bytes = 108000000000000 bytes"),
                Comment(rawValue: r.stderr))
        let h = try KiraRun.run(["resample", huge.path, "-o", dir.appendingPathComponent("o.nii").path])
        #expect(h.status == 1, Comment(rawValue: h.stderr))
        #expect(h.stderr.contains("32767×32767×32767×32767×32767×32767×32767 elements overflow a 64-bit count"), Comment(rawValue: h.stderr))
    }

    @Test("resampledPixelSpacing [0.001, 0.001, 0.001] fails the case cleanly, naming the image")
    func paramsTooFine() throws {
        let dir = try TestPaths.temporaryDirectory("budget-params")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent(try SyntheticCases.write(SyntheticCases.image(), dir, "image.nii.gz"))
        let mask = dir.appendingPathComponent(try SyntheticCases.write(SyntheticCases.sphere(radius: 5), dir, "mask.nii.gz"))
        let out = dir.appendingPathComponent("f.csv")
        let r = try KiraRun.run(["features", "--image", image.path, "--mask", mask.path, "--params", try Self.params(dir, spacing: 0.001),
                                 "-o", out.path])
        #expect(r.status == 1, Comment(rawValue: r.stderr))
        #expect(r.stderr.contains("kira features: \(image.path): resampled grid (resampledPixelSpacing [0.001, 0.001, 0.001]): too large:"),
                Comment(rawValue: r.stderr))
        #expect(r.stderr.contains("voxels × 8 bytes ="), Comment(rawValue: r.stderr))
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test("a bin width that gives more grey levels than a matrix can hold fails the case, not the process")
    func binWidthTooFine() throws {
        let dir = try TestPaths.temporaryDirectory("budget-bins")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent(try SyntheticCases.write(SyntheticCases.image(), dir, "image.nii.gz"))
        let mask = dir.appendingPathComponent(try SyntheticCases.write(SyntheticCases.sphere(radius: 5), dir, "mask.nii.gz"))
        func params(_ width: String) throws -> String {
            let url = dir.appendingPathComponent("bins\(width).yaml")
            try "setting:\n  binWidth: \(width)\nfeatureClass:\n  glcm: [Contrast]\n".write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }
        // ~10^11 levels do not even fit the Int32 levels (this used to abort allocating 8 bytes each).
        let absurd = try KiraRun.run(["features", "--image", image.path, "--mask", mask.path, "--params", try params("0.000000001")])
        #expect(absurd.status == 1, Comment(rawValue: absurd.stderr))
        #expect(absurd.stderr.contains("kira features: \(image.path): grey levels (bin width 1e-09 over intensities "), Comment(rawValue: absurd.stderr))
        #expect(absurd.stderr.contains("grey levels cannot be counted"), Comment(rawValue: absurd.stderr))
        // 0.001 gives ~10^5 levels: a 10^5 × 10^5 matrix of doubles is far over a 1 GiB budget.
        let fine = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["KIRA_MAX_BYTES=1G", TestPaths.kiraExecutable.path,
                                  "features", "--image", image.path, "--mask", mask.path, "--params", try params("0.001")])
        #expect(fine.status == 1, Comment(rawValue: fine.stderr))
        #expect(fine.stderr.contains("levels; grey-level matrix: too large:") && fine.stderr.contains("over the budget of 1073741824 bytes (1.0 GiB)"),
                Comment(rawValue: fine.stderr))
    }

    @Test("preprocess --resize to 10^6 × 10^6 exits 1 naming the image and the size")
    func resizeTooLarge() throws {
        let dir = try TestPaths.temporaryDirectory("budget-resize")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = TestPaths.testData("raster/grey8.png").path
        let out = dir.appendingPathComponent("r.nii.gz")
        let r = try KiraRun.run(["preprocess", image, "-o", out.path, "--resize", "1000000x1000000"])
        #expect(r.status == 1, Comment(rawValue: r.stderr))
        #expect(r.stderr.contains("kira preprocess: \(image): resampled image: too large: 1000000×1000000×1 = 1000000000000 voxels × 4 bytes"),
                Comment(rawValue: r.stderr))
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test("habitat K above 255 is a usage error (labels are bytes)")
    func habitatK() throws {
        let r = try KiraRun.run(["mask", "habitats", "--manifest", "/nonexistent.csv", "--images", "t1", "--k", "2-300", "--out-dir", "/tmp/none"])
        #expect(r.status == 1 && r.stderr.contains("2 ≤ LOW ≤ HIGH ≤ 255, got '2-300'"), Comment(rawValue: r.stderr))
    }

    @Test("a cohort with one case whose header spacing is 1000× too large: exit 2, nine rows, the case in failures.csv")
    func cohortGoesOn() throws {
        let dir = try TestPaths.temporaryDirectory("budget-cohort")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try SyntheticCases.write(SyntheticCases.image(), dir, "image.nii.gz")
        let mask = try SyntheticCases.write(SyntheticCases.sphere(radius: 5), dir, "mask.nii.gz")
        // The same voxels with 1 m voxels: resampled to 1 mm, the ROI box alone is ~11000³.
        var big = try SyntheticCases.image(), bigMask = try SyntheticCases.sphere(radius: 5)
        big.geometry.spacing = [1000, 1000, 1000]
        bigMask.geometry.spacing = [1000, 1000, 1000]
        let bigImage = try SyntheticCases.write(big, dir, "metres.nii.gz")
        let bigMaskName = try SyntheticCases.write(bigMask, dir, "metres-mask.nii.gz")
        var rows = (1...9).map { ["case\($0)", image, mask, ""] }
        rows.insert(["metres", bigImage, bigMaskName, ""], at: 4)
        let manifest = try FeaturesCohortTests.manifest(dir, rows)
        let out = dir.appendingPathComponent("table.csv")
        let r = try KiraRun.run(["features", "--manifest", manifest, "-o", out.path, "--params", try Self.params(dir, spacing: 1),
                                 "--jobs", "2"])
        #expect(r.status == 2, Comment(rawValue: r.stderr))
        let table = try CSVTable(contentsOf: out)
        #expect(try table.strings("id") == (1...9).map { "case\($0)" })
        let failures = try CSVTable(contentsOf: URL(fileURLWithPath: out.path + ".failures.csv"))
        #expect(try failures.strings("id") == ["metres"] && failures.strings("status") == ["failed"])
        let reason = try failures.strings("reason")[0]
        #expect(reason.contains("image \(dir.appendingPathComponent(bigImage).path): resampled grid") && reason.contains("too large"), "\(reason)")
        #expect(r.stderr.contains("case 'metres' failed:"), Comment(rawValue: r.stderr))
        #expect(r.stderr.contains("9 of 10 cases in \(out.path); 1 failed"), Comment(rawValue: r.stderr))
    }

    /// A 218-byte JPEG whose header declares about 2.9 GB of pixels (a raster fuzzer finding:
    /// libjpeg's buffer was allocated unchecked). The header is now checked against the budget
    /// before the buffer exists, as for TIFF.
    @Test("a JPEG declaring more pixels than the budget is refused before decoding")
    func jpegDeclaredSize() throws {
        let dir = try TestPaths.temporaryDirectory("budget-jpeg")
        defer { try? FileManager.default.removeItem(at: dir) }
        let jpeg = dir.appendingPathComponent("declared.jpg")
        try FileManager.default.copyItem(at: TestPaths.testData("fuzz-budget/oom-799db4a896b8850758608aa0dec8f137ac5706ec"), to: jpeg)
        let r = try runWithBudget(["convert", jpeg.path, "--spacing", "0.1,0.1", "-o", dir.appendingPathComponent("out").path], budget: "128M")
        #expect(r.status == 1, Comment(rawValue: r.stderr))
        #expect(r.stderr.contains("\(jpeg.path): JPEG pixels (width × height × samples × bytes): too large"), Comment(rawValue: r.stderr))
        #expect(r.stderr.contains("over the budget of 134217728 bytes"), Comment(rawValue: r.stderr))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path))
    }

    /// The command under `KIRA_MAX_BYTES=budget`.
    func runWithBudget(_ args: [String], budget: String) throws -> KiraRun {
        try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                       ["\(AllocationBudget.environmentKey)=\(budget)", TestPaths.kiraExecutable.path] + args)
    }
}

/// A wide feature table asks PCA for a min(rows, features)² eigenproblem.
@Suite("Allocation budget (kira train)")
struct AllocationBudgetLearnTests {
    @Test("pca beyond the budget is a clean error naming the step and the matrix")
    func pcaMatrix() throws {
        let dir = try TestPaths.temporaryDirectory("budget-pca")
        defer { try? FileManager.default.removeItem(at: dir) }
        var features = "id,a,b,c,d\n", labels = "id,ki67\n"
        var state: UInt64 = 9
        for i in 0..<40 {
            var row = "p\(i)"
            for _ in 0..<4 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                row += ",\(Double(state >> 11) * 0x1.0p-53)"
            }
            features += row + "\n"
            labels += "p\(i),\(i % 2 == 0 ? 10 : 40)\n"
        }
        try features.write(to: dir.appendingPathComponent("f.csv"), atomically: true, encoding: .utf8)
        try labels.write(to: dir.appendingPathComponent("l.csv"), atomically: true, encoding: .utf8)
        func train(_ budget: String) throws -> KiraRun {
            try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["KIRA_MAX_BYTES=\(budget)", TestPaths.kiraExecutable.path,
                           "train", "--features", dir.appendingPathComponent("f.csv").path, "--labels", dir.appendingPathComponent("l.csv").path,
                           "--label-column", "ki67", "--threshold", "20", "--select", "pca:2", "--model", "lr",
                           "-o", dir.appendingPathComponent("m.json").path])
        }
        // 4 features: three 4 × 4 matrices of doubles, 384 bytes.
        let refused = try train("383")
        #expect(refused.status == 1, Comment(rawValue: refused.stderr))
        #expect(refused.stderr.contains("pca:2 on 40 training rows × 4 features: covariance matrix: too large: 4×4 = 16 entries × 24 bytes = 384 bytes"),
                Comment(rawValue: refused.stderr))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("m.json").path))
        let fits = try train("384")
        #expect(fits.status == 0, Comment(rawValue: fits.stderr))
    }
}
