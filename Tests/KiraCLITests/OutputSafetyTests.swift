import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

/// Issue 18 item 3: no command writes over one of its inputs, replaces an existing output
/// without --overwrite, or writes a format its output's extension does not name.
@Suite struct OutputSafetyTests {
    /// A 6×5×4 int16 image (voxel = index mod 50) and a box mask, as .nii.gz.
    static func writeImageAndMask(_ dir: URL) throws -> (image: URL, mask: URL) {
        let g = Geometry(size: [6, 5, 4], spacing: [1, 1, 2])
        let image = dir.appendingPathComponent("image.nii.gz"), mask = dir.appendingPathComponent("mask.nii.gz")
        try NIfTIWriter.write(try Volume(geometry: g, voxels: .int16((0..<g.voxelCount).map { Int16($0 % 50) })), to: image)
        let m = (0..<g.voxelCount).map { i -> UInt8 in
            let x = i % 6, y = (i / 6) % 5, z = i / 30
            return (1...4).contains(x) && (1...3).contains(y) && (1...2).contains(z) ? 1 : 0
        }
        try NIfTIWriter.write(try Volume(geometry: g, voxels: .uint8(m)), to: mask)
        return (image, mask)
    }

    /// 40 cases with one informative feature, and their 0/1 labels.
    static func writeStudy(_ dir: URL) throws -> (features: URL, labels: URL) {
        var features = "id,size,noise\n", labels = "id,high\n"
        for i in 0..<40 {
            let high = i % 2
            features += "c\(i),\(Double(high) * 2 + Double(i % 7) * 0.1),\(Double((i * 13) % 11) / 11)\n"
            labels += "c\(i),\(high)\n"
        }
        let f = dir.appendingPathComponent("features.csv"), l = dir.appendingPathComponent("labels.csv")
        try features.write(to: f, atomically: true, encoding: .utf8)
        try labels.write(to: l, atomically: true, encoding: .utf8)
        return (f, l)
    }

    /// Runs `args`, expects exit 1 with `path` named on stderr and `input` byte-identical after.
    func expectRefused(_ args: [String], naming path: String, keeps input: URL,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try Data(contentsOf: input)
        let r = try KiraRun.run(args)
        #expect(r.status == 1, "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains("'\(path)'"), "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(try Data(contentsOf: input) == before, sourceLocation: sourceLocation)
    }

    @Test func predictOntoItsFeaturesIsRefused() throws {
        let dir = try TestPaths.temporaryDirectory("kira-outputs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = try Self.writeStudy(dir)
        let model = dir.appendingPathComponent("model.json")
        let train = try KiraRun.run(["train", "--features", s.features.path, "--labels", s.labels.path, "--label-column", "high",
                                     "--select", "zscore", "--model", "lr", "--cv", "0", "-o", model.path])
        try #require(train.status == 0, "\(train.stderr)")
        try expectRefused(["predict", "--model", model.path, "--features", s.features.path, "-o", s.features.path],
                          naming: s.features.path, keeps: s.features)
        try expectRefused(["predict", "--model", model.path, "--features", s.features.path, "-o", model.path],
                          naming: model.path, keeps: model)
    }

    @Test func trainOntoItsLabelsIsRefused() throws {
        let dir = try TestPaths.temporaryDirectory("kira-outputs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = try Self.writeStudy(dir)
        // labels.csv would fail the .json extension check too; a labels file named .json
        // shows the input check on its own.
        let labelsJSON = dir.appendingPathComponent("labels.json")
        try FileManager.default.copyItem(at: s.labels, to: labelsJSON)
        try expectRefused(["train", "--features", s.features.path, "--labels", labelsJSON.path, "--label-column", "high",
                           "--model", "lr", "--cv", "0", "-o", labelsJSON.path],
                          naming: labelsJSON.path, keeps: labelsJSON)
        try expectRefused(["train", "--features", s.features.path, "--labels", s.labels.path, "--label-column", "high",
                           "--model", "lr", "--cv", "0", "-o", s.labels.path],
                          naming: s.labels.path, keeps: s.labels)
    }

    @Test(arguments: ["same", "hardlink", "symlink"])
    func resampleOntoItsInputIsRefused(how: String) throws {
        let dir = try TestPaths.temporaryDirectory("kira-outputs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (image, _) = try Self.writeImage(dir)
        let target: URL
        switch how {
        case "hardlink":
            target = dir.appendingPathComponent("link.nii.gz")
            try FileManager.default.linkItem(at: image, to: target)
        case "symlink":
            target = dir.appendingPathComponent("alias.nii.gz")
            try FileManager.default.createSymbolicLink(at: target, withDestinationURL: image)
        default:
            target = image
        }
        // --overwrite too: replacing an existing output is allowed, an input never.
        try expectRefused(["resample", image.path, "-o", target.path, "--spacing", "2", "--overwrite"],
                          naming: target.path, keeps: image)
        #expect(leftoverTemporaries(in: dir).isEmpty)
    }

    @Test func featuresCSVIntoNIfTINameIsRefused() throws {
        let dir = try TestPaths.temporaryDirectory("kira-outputs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (image, mask) = try Self.writeImageAndMask(dir)
        let out = dir.appendingPathComponent("x.nii.gz")
        let r = try KiraRun.run(["features", "--image", image.path, "--mask", mask.path, "-o", out.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("'\(out.path)' must end in .csv"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        let json = try KiraRun.run(["features", "--image", image.path, "--mask", mask.path, "--json", "-o", dir.appendingPathComponent("f.csv").path])
        #expect(json.status == 1)
        #expect(json.stderr.contains("must end in .json"), "\(json.stderr)")
    }

    @Test func featuresManifestOutputCannotBeTheManifestOrAnImage() throws {
        let dir = try TestPaths.temporaryDirectory("kira-outputs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (image, mask) = try Self.writeImageAndMask(dir)
        let manifest = dir.appendingPathComponent("cohort.csv")
        try "id,image,mask\na,\(image.path),\(mask.path)\n".write(to: manifest, atomically: true, encoding: .utf8)
        try expectRefused(["features", "--manifest", manifest.path, "-o", manifest.path], naming: manifest.path, keeps: manifest)
        // An image named .csv is odd but possible; it is still an input.
        let csvImage = dir.appendingPathComponent("image.csv")
        try FileManager.default.linkItem(at: image, to: csvImage)
        let m2 = dir.appendingPathComponent("cohort2.csv")
        try "id,image,mask\na,\(csvImage.path),\(mask.path)\n".write(to: m2, atomically: true, encoding: .utf8)
        try expectRefused(["features", "--manifest", m2.path, "-o", csvImage.path], naming: csvImage.path, keeps: image)
    }

    @Test func existingOutputNeedsOverwrite() throws {
        let dir = try TestPaths.temporaryDirectory("kira-outputs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (image, _) = try Self.writeImage(dir)
        let out = dir.appendingPathComponent("out.nii.gz")
        let old = Data("an earlier result\n".utf8)
        try old.write(to: out)
        let refused = try KiraRun.run(["resample", image.path, "-o", out.path, "--spacing", "2"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("'\(out.path)' exists; pass --overwrite"), "\(refused.stderr)")
        #expect(try Data(contentsOf: out) == old)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.json").path))

        let replaced = try KiraRun.run(["resample", image.path, "-o", out.path, "--spacing", "2", "--overwrite"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        // 6×5×4 at 1,1,2 mm onto 2 mm: ceil(6/2), ceil(5/2), 4 → 3×3×4.
        #expect(try NIfTIReader.read(out).geometry.size == [3, 3, 4])
        #expect(leftoverTemporaries(in: dir).isEmpty)
    }

    /// The sidecar is an output too: an existing one is not replaced silently.
    @Test func existingSidecarNeedsOverwrite() throws {
        let dir = try TestPaths.temporaryDirectory("kira-outputs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (_, mask) = try Self.writeImageAndMask(dir)
        let sidecar = dir.appendingPathComponent("ring.json")
        try Data("{}\n".utf8).write(to: sidecar)
        let r = try KiraRun.run(["mask", "ring", mask.path, "-o", dir.appendingPathComponent("ring.nii.gz").path, "--voxels", "1"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("'\(sidecar.path)' exists"), "\(r.stderr)")
        #expect(try Data(contentsOf: sidecar) == Data("{}\n".utf8))
    }

    @Test func existingCSVOutputNeedsOverwrite() throws {
        let dir = try TestPaths.temporaryDirectory("kira-outputs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = try Self.writeStudy(dir)
        let model = dir.appendingPathComponent("model.json")
        let train = try KiraRun.run(["train", "--features", s.features.path, "--labels", s.labels.path, "--label-column", "high",
                                     "--model", "lr", "--cv", "0", "-o", model.path])
        try #require(train.status == 0, "\(train.stderr)")
        let again = try KiraRun.run(["train", "--features", s.features.path, "--labels", s.labels.path, "--label-column", "high",
                                     "--model", "lr", "--cv", "0", "-o", model.path])
        #expect(again.status == 1)
        #expect(again.stderr.contains("'\(model.path)' exists"), "\(again.stderr)")
        let preds = dir.appendingPathComponent("p.csv")
        try Data("old\n".utf8).write(to: preds)
        let refused = try KiraRun.run(["predict", "--model", model.path, "--features", s.features.path, "-o", preds.path])
        #expect(refused.status == 1)
        #expect(try Data(contentsOf: preds) == Data("old\n".utf8))
        let replaced = try KiraRun.run(["predict", "--model", model.path, "--features", s.features.path, "-o", preds.path, "--overwrite"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        let lines = try String(contentsOf: preds, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "id,probability,class")
        #expect(lines.count == 41)
    }

    static func writeImage(_ dir: URL) throws -> (URL, URL) { try writeImageAndMask(dir) }
}
