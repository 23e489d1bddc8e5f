import Foundation
import KiraDeep
import KiraTestSupport
import Testing

/// `kira deep features` on the pyradiomics breast1 MRI case (../shared/reference): the
/// network input equals an independent NumPy + PyTorch construction, and the features equal
/// ONNX Runtime's on that input, for ResNet-50 and DenseNet-169.
@Suite("Deep features of tumour and peritumoral crops", .serialized)
struct DeepCropTests {
    static let reference = TestPaths.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/reference/pyradiomics/data")
    static var image: String { reference.appendingPathComponent("breast1_image.nrrd").path }
    static var mask: String { reference.appendingPathComponent("breast1_label.nrrd").path }
    static var available: Bool { FileManager.default.fileExists(atPath: image) }

    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kira-deep-crops-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Image and mask as z×y×x arrays, read by SimpleITK.
    static func arrays(into dir: URL) throws -> (String, String) {
        let img = dir.appendingPathComponent("image.npy").path, msk = dir.appendingPathComponent("mask.npy").path
        try PythonPeer.run("""
        import SimpleITK as sitk, numpy as np, sys
        np.save(sys.argv[3], sitk.GetArrayFromImage(sitk.ReadImage(sys.argv[1])))
        np.save(sys.argv[4], sitk.GetArrayFromImage(sitk.ReadImage(sys.argv[2])))
        """, arguments: [image, mask, img, msk])
        return (img, msk)
    }

    static func features(_ csv: String) throws -> (names: [String], values: [Float]) {
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        let names = lines[0].split(separator: ",").dropFirst().map(String.init)
        let values = lines[1].split(separator: ",").dropFirst().map { Float($0)! }
        return (names, values)
    }

    /// 2d: the largest tumour slice three times; 2.5d with a 5 mm ring: slices 8, 9, 10 and a
    /// box 7 pixels (5 mm / 0.664 mm) wider on each side. Tolerance 1e-5: both sides resize in
    /// double and normalise in float32; what differs is summation order.
    @Test(arguments: [("2d", "tumour", 0.0), ("2.5d", "tumour+ring:5mm", 5.0)])
    func inputEqualsNumPyAndPyTorch(_ mode: String, _ crop: String, _ ring: Double) throws {
        guard Self.available else { print("skipped: needs ../shared/reference (pyradiomics breast1)"); return }
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let net = try DeepPeer.network("resnet50")
        let r = try KiraRun.run(["deep", "features", "--model", net.model, "--image", Self.image, "--mask", Self.mask, "--crop", crop,
                            "--input", mode, "--save-inputs", dir.appendingPathComponent("inputs").path, "-o", dir.appendingPathComponent("f.csv").path])
        #expect(r.status == 0, "\(r.stderr)")
        let label = try CropOptions.Region(parsing: crop).label
        let kira = try NumPyArray.read(dir.appendingPathComponent("inputs/\(label).npy").path)
        let (img, msk) = try Self.arrays(into: dir)
        let refPath = dir.appendingPathComponent("ref.npy").path
        let peer = try runProcess(URL(fileURLWithPath: "/usr/bin/python3"), [
            PythonPeer.scripts.appendingPathComponent("deep_crop_reference.py").path, img, msk, "0.664062", "0.664062",
            String(ring), mode, "224", "224", refPath,
        ])
        #expect(peer.status == 0, "\(peer.stderr)")
        let ref = try NumPyArray.read(refPath)
        #expect(kira.shape == [1, 3, 224, 224] && ref.shape == kira.shape)
        let worst = zip(kira.data, ref.data).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "\(mode) \(crop): worst difference \(worst); peer box \(peer.stdout)")
        let prov = try String(contentsOfFile: dir.appendingPathComponent("f.csv.provenance.json").path, encoding: .utf8)
        #expect(prov.contains("\"slices\" : [\n") && prov.contains("\"layer\" : \"\(net.pooledName)\""))
    }

    /// Pooled features (and DenseNet-169's flattened last map) of the tumour and tumour+5 mm
    /// crops, 2.5D, equal ONNX Runtime's on the same inputs within 1e-4 of the largest value.
    @Test(arguments: [("resnet50", 2048, false), ("densenet169", 1664, true)])
    func featuresEqualONNXRuntime(_ arch: String, _ channels: Int, _ flatten: Bool) throws {
        guard Self.available else { print("skipped: needs ../shared/reference (pyradiomics breast1)"); return }
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let net = try DeepPeer.network(arch)
        let csv = dir.appendingPathComponent("f.csv").path
        var args = ["deep", "features", "--model", net.model, "--image", Self.image, "--mask", Self.mask, "--crop", "tumour",
                    "--crop", "tumour+ring:5mm", "--input", "2.5d", "--prefix", arch, "--threads", "2",
                    "--save-inputs", dir.appendingPathComponent("inputs").path, "-o", csv]
        if flatten { args.append("--flatten") }
        let r = try KiraRun.run(args)
        #expect(r.status == 0, "\(r.stderr)")
        let (names, values) = try Self.features(csv)
        let per = flatten ? channels * 49 : channels
        #expect(names.count == 2 * per)
        #expect(names.first == "\(arch)_tumour_f" + (flatten ? "00001" : "0001"))
        #expect(names[per] == "\(arch)_peri5mm_f" + (flatten ? "00001" : "0001"))
        for (k, label) in ["tumour", "peri5mm"].enumerated() {
            let ortDir = dir.appendingPathComponent("ort-\(label)")
            try FileManager.default.createDirectory(at: ortDir, withIntermediateDirectories: true)
            try PythonPeer.script("ort_features.py", [net.model, dir.appendingPathComponent("inputs/\(label).npy").path, ortDir.path])
            let ort = try NumPyArray.read(ortDir.appendingPathComponent(flatten ? "map.npy" : "pooled.npy").path)
            let mine = Tensor(shape: [ort.count], data: Array(values[(k * per)..<((k + 1) * per)]))
            #expect(ort.count == per)
            let err = DeepPeer.relativeError(mine, Tensor(shape: [ort.count], data: ort.data))
            #expect(err <= 1e-4, "\(arch) \(label): relative error \(err)")
        }
    }

    @Test func refusesCropsOutsideTheImageAnEmptyMaskAndMissingNeighbours() throws {
        guard Self.available else { print("skipped: needs ../shared/reference (pyradiomics breast1)"); return }
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let net = try DeepPeer.network("resnet50")
        let csv = dir.appendingPathComponent("f.csv").path
        let outside = try KiraRun.run(["deep", "features", "--model", net.model, "--image", Self.image, "--mask", Self.mask,
                                  "--crop", "tumour+ring:40mm", "-o", csv])
        #expect(outside.status == 1)
        #expect(outside.stderr.contains("breast1_image.nrrd: the tumour+ring:40.0mm crop") && outside.stderr.contains("reaches outside the image (45×120)"), "\(outside.stderr)")
        #expect(!FileManager.default.fileExists(atPath: csv) && !FileManager.default.fileExists(atPath: csv + ".provenance.json"))
        let emptyMask = dir.appendingPathComponent("empty.nrrd").path
        try PythonPeer.run("""
        import SimpleITK as sitk, sys
        m = sitk.ReadImage(sys.argv[1]); sitk.WriteImage(m * 0, sys.argv[2])
        """, arguments: [Self.mask, emptyMask])
        let empty = try KiraRun.run(["deep", "features", "--model", net.model, "--image", Self.image, "--mask", emptyMask, "-o", csv])
        #expect(empty.status == 1 && empty.stderr.contains("empty"), "\(empty.stderr)")
        #expect(!FileManager.default.fileExists(atPath: csv))
        let flat = try KiraRun.run(["deep", "features", "--model", net.model, "--image", Self.image, "--mask", Self.mask, "--input", "2.5d",
                               "--crop", "tumour", "--id", "b1", "-o", csv, "--output-layer", "nope"])
        #expect(flat.status == 1 && flat.stderr.contains("no tensor named 'nope'"), "\(flat.stderr)")
    }
}
