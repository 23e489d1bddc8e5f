import Foundation
import KiraDeep
import KiraTestSupport
import Testing

/// `deep:` in a study: a 40-case `kira synth` cohort's ultrasound through `kira study run` with
/// torchvision's DenseNet-169 (seeded random weights, 64×64 input: the same graph, a smaller
/// map) on tumour and tumour + 5 mm crops, PCA and LASSO inside the folds.
@Suite("deep features in kira study run", .serialized)
struct DeepStudyTests {
    /// The deep cache record of a case (what the study computed once).
    struct Cached: Decodable {
        var key: String
        var names: [String]
        var values: [Float]
    }

    static func write(_ text: String, _ url: URL) throws { try text.write(to: url, atomically: true, encoding: .utf8) }

    static func study(cohort: String, model: String, output: String) -> String {
        """
        cohort: \(cohort)
        id: case_id
        label: {column: ki67, threshold: 20}
        split: {column: set}
        modalities:
          us:
            image: us_path
            masks: [us_r1]
            features: {preset: default}
            deep: {model: \(model), name: dn169, crops: [tumour, ring:5mm], input: 2d, output: pooled, scaling: "percentile:0.5,99.5", cam: true}
        regions: [tumour]
        selection: [zscore, pca:8, lasso]
        models: {lr: {}}
        validation: {cv: 3, repeats: 1, seed: 0}
        output: \(output)

        """
    }

    static func csvRows(_ url: URL) throws -> [[String]] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    @Test func denseNetCropsInTheStudyPipeline() throws {
        let dir = try TestPaths.temporaryDirectory("kira-deep-study")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cohort = dir.appendingPathComponent("cohort")
        let synth = try KiraRun.run(["synth", "-o", cohort.path, "--cases", "40", "--seed", "0"])
        try #require(synth.status == 0, "\(synth.stderr)")

        // DenseNet-169 with seeded random weights, exported at 64×64 by Debian's torch.
        let input = dir.appendingPathComponent("input.npy").path
        _ = try PythonPeer.run("import numpy as np, sys; np.save(sys.argv[1], np.zeros((1, 3, 64, 64), np.float32))", arguments: [input])
        let model = dir.appendingPathComponent("dn169.onnx").path
        let export = try runProcess(URL(fileURLWithPath: "/usr/bin/python3"),
                                    [PythonPeer.scripts.appendingPathComponent("torchvision_export.py").path, "densenet169", model, input,
                                     dir.appendingPathComponent("torch_logits.npy").path])
        try #require(export.status == 0, "\(export.stderr)")

        let studyFile = cohort.appendingPathComponent("deep_study.yaml")
        try Self.write(Self.study(cohort: "cases.csv", model: "../dn169.onnx", output: "results/"), studyFile)
        let results = cohort.appendingPathComponent("results")
        let first = try KiraRun.run(["study", "run", studyFile.path, "--jobs", "2"])
        try #require(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("40 branch(es) computed, 0 reused, 0 failed"), "\(first.stderr)")

        // 2 × 1664 pooled columns per case, with the modality prefix, in the fused table; PCA and
        // LASSO fitted inside the folds (the frozen model's steps).
        let fused = try Self.csvRows(results.appendingPathComponent("features.csv"))
        let header = fused[0]
        #expect(header.filter { $0.hasPrefix("us_dn169_tumour_f") }.count == 1664)
        #expect(header.filter { $0.hasPrefix("us_dn169_peri5mm_f") }.count == 1664)
        #expect(header.contains("us_dn169_peri5mm_f1664"))
        let modelJSON = try String(contentsOf: results.appendingPathComponent("model.json"), encoding: .utf8)
        #expect(modelJSON.contains("pca") && modelJSON.contains("lasso"))

        let cases = try Self.csvRows(cohort.appendingPathComponent("cases.csv"))
        let col = { (name: String) in cases[0].firstIndex(of: name)! }
        let ids = cases.dropFirst().map { $0[col("case_id")] }
        #expect(ids.count == 40)
        // One deep cache record per case, and a Grad-CAM overlay per case and crop.
        let deepCache = results.appendingPathComponent("cache/deep")
        let records = try FileManager.default.contentsOfDirectory(atPath: deepCache.path).filter { $0.hasSuffix(".json") }
        #expect(records.count == 40)
        let pngMagic = Data([0x89, 0x50, 0x4E, 0x47])
        for id in ids {
            for crop in ["tumour", "peri5mm"] {
                let png = FileManager.default.contents(atPath: results.appendingPathComponent("deep/\(id)/us_\(crop)_cam.png").path)
                #expect(png?.prefix(4) == pngMagic, "no CAM overlay for \(id) \(crop)")
                #expect(FileManager.default.fileExists(atPath: results.appendingPathComponent("deep/\(id)/us_\(crop)_cam.nii.gz").path),
                        "no CAM map for \(id) \(crop)")
            }
        }

        // Case 0: the cached values equal kira deep features on the same image (exactly) and
        // ONNX Runtime on the same crops (1e-4 of the largest value).
        let row = cases[1]
        let id = row[col("case_id")]
        let recordName = try #require(records.first { $0.hasPrefix("\(id).us.reader1.") })
        let cached = try JSONDecoder().decode(Cached.self, from: Data(contentsOf: deepCache.appendingPathComponent(recordName)))
        let nifti = dir.appendingPathComponent("converted")
        let convert = try KiraRun.run(["convert", cohort.appendingPathComponent(row[col("us_path")]).path, "-o", nifti.path, "-q"])
        try #require(convert.status == 0, "\(convert.stderr)")
        let image = try #require(FileManager.default.contentsOfDirectory(atPath: nifti.path).first { $0.hasSuffix(".nii") || $0.hasSuffix(".nii.gz") })
        let crops = dir.appendingPathComponent("crops")
        let csv = dir.appendingPathComponent("f.csv")
        let cli = try KiraRun.run(["deep", "features", "--model", model, "--image", nifti.appendingPathComponent(image).path,
                                   "--mask", cohort.appendingPathComponent(row[col("us_r1")]).path, "--crop", "tumour",
                                   "--crop", "tumour+ring:5mm", "--prefix", "dn169", "--save-inputs", crops.path, "-o", csv.path])
        try #require(cli.status == 0, "\(cli.stderr)")
        let table = try Self.csvRows(csv)
        #expect(Array(table[0].dropFirst()) == cached.names)
        let values = table[1].dropFirst().map { Float($0)! }
        #expect(values.count == cached.values.count)
        #expect(values == cached.values, "the study's cached deep features differ from kira deep features")
        for (k, crop) in ["tumour", "peri5mm"].enumerated() {
            let out = dir.appendingPathComponent("ort_\(crop)")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            _ = try PythonPeer.script("ort_features.py", [model, crops.appendingPathComponent("\(crop).npy").path, out.path])
            let ort = try NumPyArray.read(out.appendingPathComponent("pooled.npy").path)
            let mine = Tensor(shape: ort.shape, data: Array(cached.values[(k * 1664)..<((k + 1) * 1664)]))
            #expect(ort.count == 1664)
            let err = DeepPeer.relativeError(mine, ort)
            #expect(err <= 1e-4, "\(crop): relative error \(err) against ONNX Runtime")
        }
        // Its Grad-CAM map on the image grid equals kira deep cam's on the same image and crop
        // (nibabel reads both; same network, same crop: 1e-6).
        let camFile = dir.appendingPathComponent("cam.nii.gz")
        let camRun = try KiraRun.run(["deep", "cam", "--model", model, "--image", nifti.appendingPathComponent(image).path,
                                      "--mask", cohort.appendingPathComponent(row[col("us_r1")]).path, "--crop", "tumour+ring:5mm",
                                      "-o", camFile.path])
        try #require(camRun.status == 0, "\(camRun.stderr)")
        let camDiff = try PythonPeer.run("""
        import sys, nibabel as nib, numpy as np
        a, b = (np.asarray(nib.load(p).dataobj, dtype=np.float64) for p in sys.argv[1:3])
        print(a.shape == b.shape, float(np.abs(a - b).max()), float(b.max()), int((b > 0).sum()))
        """, arguments: [results.appendingPathComponent("deep/\(id)/us_peri5mm_cam.nii.gz").path, camFile.path])
        let parts = camDiff.split(separator: " ").map(String.init)
        #expect(parts.count == 4 && parts[0] == "True" && Double(parts[1])! <= 1e-6 && Double(parts[2])! > 0.99 && Int(parts[3].trimmingCharacters(in: .whitespacesAndNewlines))! > 100,
                "study map vs kira deep cam: same shape, max |Δ|, peer max, voxels > 0: \(camDiff)")

        // A rerun computes nothing and leaves every output byte-identical.
        let before = try DeepPeer.studyOutputs(results)
        let again = try KiraRun.run(["study", "run", studyFile.path, "--jobs", "2"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("0 branch(es) computed, 40 reused, 0 failed; analysis reused"), "\(again.stderr)")
        #expect(!again.stderr.contains("deep features computed"))
        let after = try DeepPeer.studyOutputs(results)
        #expect(before.keys.sorted() == after.keys.sorted())
        #expect(before == after, "a rerun changed \(before.keys.filter { before[$0] != after[$0] }.sorted())")

        // An empty mask for one case: that case fails, named in failures.csv; the others are
        // reused from the cache and the run ends with exit 2.
        let emptyMask = dir.appendingPathComponent("empty.nii.gz")
        _ = try PythonPeer.run("""
        import sys, nibabel as nib, numpy as np
        m = nib.load(sys.argv[1])
        nib.save(nib.Nifti1Image(np.zeros(m.shape, np.uint8), m.affine), sys.argv[2])
        """, arguments: [cohort.appendingPathComponent(cases[2][col("us_r1")]).path, emptyMask.path])
        var bad = cases
        bad[2][col("us_r1")] = emptyMask.path
        try Self.write(bad.map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n", cohort.appendingPathComponent("cases_bad.csv"))
        let badStudy = cohort.appendingPathComponent("bad_mask.yaml")
        try Self.write(Self.study(cohort: "cases_bad.csv", model: "../dn169.onnx", output: "results/"), badStudy)
        let partial = try KiraRun.run(["study", "run", badStudy.path, "--jobs", "2"])
        #expect(partial.status == 2, "\(partial.stderr)")
        #expect(partial.stderr.contains("0 branch(es) computed, 39 reused, 1 failed"), "\(partial.stderr)")
        let failures = try String(contentsOf: results.appendingPathComponent("failures.csv"), encoding: .utf8)
        let badID = cases[2][col("case_id")]
        #expect(failures.contains("\(badID),us,1,qc,") && failures.contains("the mask is empty"), "\(failures)")
        #expect(try Self.csvRows(results.appendingPathComponent("failures.csv")).count == 2)
        #expect(leftoverTemporaries(in: results).isEmpty)

        // A model with an operator Kira lacks: exit 1 before anything is written, the node named.
        let badModel = dir.appendingPathComponent("sigmoid.onnx").path
        _ = try PythonPeer.run("""
        import sys, onnx
        from onnx import helper, TensorProto
        x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 64, 64])
        y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 64, 64])
        g = helper.make_graph([helper.make_node("Sigmoid", ["input"], ["y"], name="head_sigmoid")], "g", [x], [y])
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), sys.argv[1])
        """, arguments: [badModel])
        let badModelStudy = cohort.appendingPathComponent("bad_model.yaml")
        try Self.write(Self.study(cohort: "cases.csv", model: badModel, output: "results_bad_model/"), badModelStudy)
        let refused = try KiraRun.run(["study", "run", badModelStudy.path])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("bad_model.yaml: modalities.us.deep.model:"), "\(refused.stderr)")
        #expect(refused.stderr.contains("node Sigmoid 'head_sigmoid': unsupported: operator Sigmoid"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cohort.appendingPathComponent("results_bad_model").path))

        // Every key is checked: an unknown one is named with its path.
        let typo = cohort.appendingPathComponent("typo.yaml")
        try Self.write(Self.study(cohort: "cases.csv", model: "../dn169.onnx", output: "results_typo/")
            .replacingOccurrences(of: "output: pooled", with: "pooling: avg"), typo)
        let unknown = try KiraRun.run(["study", "run", typo.path])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("typo.yaml: modalities.us.deep.pooling: unknown key"), "\(unknown.stderr)")
    }
}
