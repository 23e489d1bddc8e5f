import Foundation
import KiraTestSupport
import Testing

/// The Grad-CAM of the study's own decision (`DecisionCAMStage`): a 24-case `kira synth`
/// cohort's ultrasound through `kira study run` with a small network made by the onnx helper
/// (Conv 3→8 stride 2 → Relu → GlobalAveragePool → Flatten → Gemm 8→2, seeded weights, 32×32
/// input) on tumour and tumour + 5 mm crops, so the study's deep part takes seconds.
@Suite("decision maps in kira study run", .serialized)
struct DecisionCAMStudyTests {
    static func study(models: String, output: String = "pooled") -> String {
        """
        cohort: cases.csv
        id: case_id
        label: {column: ki67, threshold: 20}
        split: {column: set}
        modalities:
          us:
            image: us_path
            masks: [us_r1]
            features: {params: firstorder.yaml}
            deep: {model: ../net.onnx, name: net, crops: [tumour, ring:5mm], input: 2d, output: \(output), cam: true}
        regions: [tumour]
        selection: [zscore]
        models: \(models)
        validation: {cv: 3, repeats: 1, seed: 0}
        output: results/

        """
    }

    static func decisionFiles(_ snapshot: [String: Data]) -> [String] {
        snapshot.keys.filter { $0.hasPrefix("deep/") && $0.contains("_decision_cam.") }.sorted()
    }

    /// The weights per channel of the model's decision for crop `stem`, computed in NumPy from
    /// model.json alone: the log-odds gradient is the logistic coefficients taken back through
    /// each step (a PCA multiplies by its components, a z-score divides by its scale, a column
    /// subset scatters), its columns `stem_fNNNN` put at feature NNNN − 1; with `positions` > 1
    /// (output: map, channel × position in C order) a channel's weight is the sum over its
    /// positions, so that `--target-weights`' division by H·W gives Grad-CAM's spatial mean.
    static func weights(model: URL, stem: String, channels: Int, positions: Int, to npy: URL) throws -> Int {
        let out = try PythonPeer.run("""
        import json, sys, numpy as np
        m = json.load(open(sys.argv[1]))["pipeline"]
        assert m["model"]["kind"] == "lr", m["model"]["kind"]
        g = np.array(m["model"]["logistic"]["coefficients"], dtype=np.float64)
        widths = [len(m["input_features"])] + [len(s["outputNames"]) for s in m["steps"]][:-1]
        for s, width in reversed(list(zip(m["steps"], widths))):
            if s.get("components") is not None:
                c = s["components"]
                g = g @ np.array(c["values"], dtype=np.float64).reshape(c["rows"], c["cols"])
            elif s.get("center") is not None and s.get("scale") is not None:
                g = g / np.array(s["scale"], dtype=np.float64)
            if s.get("keep") is not None:
                full = np.zeros(width); np.add.at(full, np.array(s["keep"], dtype=int), g); g = full
        stem, channels, positions = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        w = np.zeros(channels * positions)
        found = 0
        for name, v in zip(m["input_features"], g):
            if name.startswith(stem + "_f"):
                w[int(name[len(stem) + 2:]) - 1] = v; found += 1
        np.save(sys.argv[5], w.reshape(channels, positions).sum(axis=1).astype(np.float32))
        print(found)
        """, arguments: [model.path, stem, String(channels), String(positions), npy.path])
        return Int(out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// nibabel: max |a − b|, b's max and its voxels above 0 (the map resized to the crop's box
    /// peaks a little below 1).
    static func compare(_ a: URL, _ b: URL) throws -> (diff: Double, max: Double, voxels: Int) {
        let out = try PythonPeer.run("""
        import sys, nibabel as nib, numpy as np
        a, b = (np.asarray(nib.load(p).dataobj, dtype=np.float64) for p in sys.argv[1:3])
        assert a.shape == b.shape, (a.shape, b.shape)
        print(float(np.abs(a - b).max()), float(b.max()), int((b > 0).sum()))
        """, arguments: [a.path, b.path]).split(whereSeparator: \.isWhitespace).map(String.init)
        return (Double(out[0]) ?? .infinity, Double(out[1]) ?? 0, Int(out[2]) ?? 0)
    }

    @Test func decisionMapsOfTheFrozenModel() throws {
        let dir = try TestPaths.temporaryDirectory("kira-decision-cam")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cohort = dir.appendingPathComponent("cohort")
        let synth = try KiraRun.run(["synth", "-o", cohort.path, "--cases", "24", "--seed", "0"])
        try #require(synth.status == 0, "\(synth.stderr)")
        let net = dir.appendingPathComponent("net.onnx")
        _ = try PythonPeer.run("""
        import sys, numpy as np, onnx
        from onnx import helper, numpy_helper, TensorProto
        rng = np.random.default_rng(21)
        w = numpy_helper.from_array(rng.normal(0, 0.5, (8, 3, 3, 3)).astype(np.float32), "conv_w")
        b = numpy_helper.from_array(rng.normal(0, 0.1, 8).astype(np.float32), "conv_b")
        fw = numpy_helper.from_array(rng.normal(0, 1, (2, 8)).astype(np.float32), "fc_w")
        fb = numpy_helper.from_array(np.zeros(2, np.float32), "fc_b")
        nodes = [helper.make_node("Conv", ["input", "conv_w", "conv_b"], ["conv"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
                 helper.make_node("Relu", ["conv"], ["features"], name="relu"),
                 helper.make_node("GlobalAveragePool", ["features"], ["pooled"], name="gap"),
                 helper.make_node("Flatten", ["pooled"], ["flat"], name="flatten", axis=1),
                 helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc", transB=1)]
        x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 32, 32])
        y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 2])
        g = helper.make_graph(nodes, "net", [x], [y], initializer=[w, b, fw, fb])
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), sys.argv[1])
        """, arguments: [net.path])
        // First-order radiomics only: the deep part is what is tested, and it keeps the runs short.
        try "setting:\n  binWidth: 25\nfeatureClass:\n  firstorder:\n"
            .write(to: cohort.appendingPathComponent("firstorder.yaml"), atomically: true, encoding: .utf8)
        let studyFile = cohort.appendingPathComponent("study.yaml")
        try Self.study(models: "{lr: {}}").write(to: studyFile, atomically: true, encoding: .utf8)
        let results = cohort.appendingPathComponent("results")

        let first = try KiraRun.run(["study", "run", studyFile.path, "--jobs", "2"])
        try #require(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("decision maps: 24 computed, 0 reused, 0 failed"), "\(first.stderr)")
        let before = try DeepPeer.studyOutputs(results)
        let maps = Self.decisionFiles(before)
        #expect(maps.count == 24 * 2 * 2, "\(maps.count) decision files")
        struct Summary: Decodable {
            struct Maps: Decodable { var model: String; var target: String; var note: String?; var maps: [String] }
            var decision_maps: Maps
        }
        let summary = try JSONDecoder().decode(Summary.self, from: before["summary.json"]!)
        #expect(summary.decision_maps.model == "lr" && summary.decision_maps.target == "decision" && summary.decision_maps.note == nil)
        #expect(summary.decision_maps.maps.count == 48 && summary.decision_maps.maps.allSatisfy { before[$0] != nil })

        // One case: the study's decision map equals kira deep cam --target-weights (GradCAM's
        // pooled-gradient map) with the weights computed in NumPy from model.json, on the same
        // image and crop: same network and crop, the weights rounded to float32 (1e-6).
        let cases = try String(contentsOf: cohort.appendingPathComponent("cases.csv"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let col = { (name: String) in cases[0].firstIndex(of: name)! }
        let row = cases[3]
        let id = row[col("case_id")]
        let nifti = dir.appendingPathComponent("converted")
        let convert = try KiraRun.run(["convert", cohort.appendingPathComponent(row[col("us_path")]).path, "-o", nifti.path, "-q"])
        try #require(convert.status == 0, "\(convert.stderr)")
        let image = nifti.appendingPathComponent(try #require(FileManager.default.contentsOfDirectory(atPath: nifti.path).first { $0.contains(".nii") }))
        let mask = cohort.appendingPathComponent(row[col("us_r1")])
        func reference(_ crop: String, stem: String, positions: Int, tag: String) throws -> URL {
            let w = dir.appendingPathComponent("w_\(tag).npy"), out = dir.appendingPathComponent("ref_\(tag).nii.gz")
            let found = try Self.weights(model: results.appendingPathComponent("model.json"), stem: stem, channels: 8, positions: positions, to: w)
            #expect(found == 8 * positions, "\(stem): \(found) columns in the model")
            let r = try KiraRun.run(["deep", "cam", "--model", net.path, "--image", image.path, "--mask", mask.path, "--crop", crop,
                                     "--target-weights", w.path, "-o", out.path])
            #expect(r.status == 0, "\(r.stderr)")
            return out
        }
        for (crop, label) in [("tumour", "tumour"), ("tumour+ring:5mm", "peri5mm")] {
            let ref = try reference(crop, stem: "us_net_\(label)", positions: 1, tag: label)
            let c = try Self.compare(results.appendingPathComponent("deep/\(id)/us_\(label)_decision_cam.nii.gz"), ref)
            print("decision map \(id) \(label) vs NumPy weights: max |Δ| \(c.diff), peer max \(c.max), \(c.voxels) voxels > 0")
            #expect(c.diff <= 1e-6 && c.max > 0.9 && c.voxels > 20, "\(label): \(c)")
        }
        struct CaseReport: Decodable {
            struct CAM: Decodable { var crop: String; var target: String; var map_file: String }
            var grad_cam: [CAM]
            var grad_cam_note: String?
        }
        let report = try JSONDecoder().decode(CaseReport.self, from: before["reports/\(id).json"]!)
        #expect(report.grad_cam.map(\.target) == ["decision", "decision"] && report.grad_cam_note == nil, "\(report)")
        #expect(report.grad_cam.map(\.map_file) == ["deep/\(id)/us_tumour_decision_cam.nii.gz", "deep/\(id)/us_peri5mm_decision_cam.nii.gz"])

        // A rerun does no work and leaves every output byte-identical.
        let again = try KiraRun.run(["study", "run", studyFile.path, "--jobs", "2"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("0 branch(es) computed, 24 reused, 0 failed; analysis reused"), "\(again.stderr)")
        #expect(again.stderr.contains("decision maps: 0 computed, 24 reused, 0 failed"), "\(again.stderr)")
        let ledger = try PythonPeer.run("""
        import sqlite3, sys
        c = sqlite3.connect(sys.argv[1])
        print(c.execute("SELECT status, count(*) FROM steps WHERE step = 'decision-cam' GROUP BY status").fetchall())
        """, arguments: [results.appendingPathComponent("ledger.sqlite").path])
        #expect(ledger.trimmingCharacters(in: .whitespacesAndNewlines) == "[('reused', 24)]", "ledger: \(ledger)")
        let after = try DeepPeer.studyOutputs(results)
        #expect(before.keys.sorted() == after.keys.sorted())
        #expect(before == after, "a rerun changed \(before.keys.filter { before[$0] != after[$0] }.sorted())")

        // A new model (another C): the branches and the top-class maps are reused, the decision
        // maps alone are computed again.
        try Self.study(models: "{lr: {C: 0.1}}").write(to: studyFile, atomically: true, encoding: .utf8)
        let refit = try KiraRun.run(["study", "run", studyFile.path, "--jobs", "2"])
        #expect(refit.status == 0, "\(refit.stderr)")
        #expect(refit.stderr.contains("0 branch(es) computed, 24 reused, 0 failed; analysis computed"), "\(refit.stderr)")
        #expect(refit.stderr.contains("decision maps: 24 computed, 0 reused, 0 failed"), "\(refit.stderr)")
        let refitted = try DeepPeer.studyOutputs(results)
        #expect(before.keys.filter { $0.hasSuffix("_cam.png") && !$0.contains("decision") }.allSatisfy { before[$0] == refitted[$0] })
        #expect(Self.decisionFiles(refitted) == maps)

        // output: map (channel × position columns): the gradient of each position summed per
        // channel (Grad-CAM's spatial mean after the division by H·W); 32×32 input, stride 2:
        // 16 × 16 positions.
        try Self.study(models: "{lr: {}}", output: "map").write(to: studyFile, atomically: true, encoding: .utf8)
        let flat = try KiraRun.run(["study", "run", studyFile.path, "--jobs", "2"])
        #expect(flat.status == 0, "\(flat.stderr)")
        #expect(flat.stderr.contains("decision maps: 24 computed, 0 reused, 0 failed"), "\(flat.stderr)")
        let refMap = try reference("tumour+ring:5mm", stem: "us_net_peri5mm", positions: 256, tag: "map")
        let c = try Self.compare(results.appendingPathComponent("deep/\(id)/us_peri5mm_decision_cam.nii.gz"), refMap)
        print("decision map (output: map) \(id) peri5mm vs NumPy weights: max |Δ| \(c.diff), peer max \(c.max)")
        #expect(c.diff <= 1e-6 && c.max > 0.9 && c.voxels > 20, "output map: \(c)")

        // A random forest wins: no decision map (the old ones are removed), the reports say why
        // in one line and show the network's top-class maps.
        try Self.study(models: "{rf: {}}").write(to: studyFile, atomically: true, encoding: .utf8)
        let rf = try KiraRun.run(["study", "run", studyFile.path, "--jobs", "2"])
        #expect(rf.status == 0, "\(rf.stderr)")
        #expect(!rf.stderr.contains("decision maps:"), "\(rf.stderr)")
        let forest = try DeepPeer.studyOutputs(results)
        #expect(Self.decisionFiles(forest).isEmpty)
        let rfReport = try JSONDecoder().decode(CaseReport.self, from: forest["reports/\(id).json"]!)
        #expect(rfReport.grad_cam.map(\.target) == ["top class", "top class"], "\(rfReport)")
        #expect(rfReport.grad_cam_note == "The frozen model has no decision map: the model (rf) has no gradient, so the map shown is the network's top-class map.")
        let html = String(decoding: forest["reports/\(id).html"]!, as: UTF8.self)
        #expect(html.contains("the model (rf) has no gradient, so the map shown is the network&#39;s top-class map")
            || html.contains("the model (rf) has no gradient, so the map shown is the network's top-class map"))
        let rfSummary = try JSONDecoder().decode(Summary.self, from: forest["summary.json"]!)
        #expect(rfSummary.decision_maps.model == "rf" && rfSummary.decision_maps.target == "top class" && rfSummary.decision_maps.maps.isEmpty)
    }
}
