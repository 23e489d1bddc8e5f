import Foundation
import KiraDeep
import KiraTestSupport
import Testing

/// `kira deep cam` against pytorch-grad-cam's GradCAM on the same network (the seeded
/// torchvision ResNet-50 and DenseNet-169), the same input (Kira's 2.5D crop of breast1) and
/// the same class (Kira's highest logit): the 224×224 maps after pytorch-grad-cam's own
/// min–max scaling agree within 1e-5. Target layers as pytorch-grad-cam's README gives them:
/// ResNet-50's layer4[-1] (the input of GlobalAveragePool), DenseNet-169's features (norm5,
/// the input of the Relu before GlobalAveragePool).
@Suite("Grad-CAM against pytorch-grad-cam", .serialized)
struct GradCAMPeerTests {
    @Test(arguments: ["resnet50", "densenet169"])
    func mapEqualsPytorchGradCAM(_ arch: String) throws {
        try compare(arch, weighted: false)
    }

    /// A score of the pooled features (what a downstream linear model's decision is): weights
    /// of both signs, one per channel; pytorch-grad-cam runs the network without its
    /// classifier and takes Σ_k w_k p_k of its pooled output as the target.
    @Test(arguments: ["resnet50", "densenet169"])
    func pooledScoreMapEqualsPytorchGradCAM(_ arch: String) throws {
        try compare(arch, weighted: true)
    }

    func compare(_ arch: String, weighted: Bool) throws {
        guard DeepCropTests.available else { print("skipped: needs ../shared/reference (pyradiomics breast1)"); return }
        let dir = try DeepCropTests.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let net = try DeepPeer.network(arch)
        var args = ["deep", "cam", "--model", net.model, "--image", DeepCropTests.image, "--mask", DeepCropTests.mask,
                    "--crop", "tumour+ring:5mm", "--input", "2.5d", "-o", dir.appendingPathComponent("cam.nii.gz").path,
                    "--save-map", dir.appendingPathComponent("map.npy").path, "--save-input", dir.appendingPathComponent("x.npy").path,
                    "--overlay", dir.appendingPathComponent("overlay.jpg").path]
        if arch == "densenet169" {
            let norm5 = try PythonPeer.run("""
            import onnx, sys
            m = onnx.load(sys.argv[1]); gap = [n for n in m.graph.node if n.op_type == "GlobalAveragePool"][-1]
            print([n for n in m.graph.node if n.op_type == "Relu" and n.output[0] == gap.input[0]][0].input[0])
            """, arguments: [net.model]).trimmingCharacters(in: .whitespacesAndNewlines)
            args += ["--layer", norm5]
        }
        let weights = dir.appendingPathComponent("w.npy").path
        if weighted {
            let channels = arch == "resnet50" ? 2048 : 1664
            try NumPyArray.write(Tensor(shape: [channels], data: (0..<channels).map { Float(cos(Double($0) * 1.3) + 0.5) }), to: weights)
            args += ["--target-weights", weights]
        }
        let r = try KiraRun.run(args)
        #expect(r.status == 0, "\(r.stderr)")
        let target: String
        if weighted {
            #expect(r.stdout.hasPrefix("weights \(weights) at "), "\(r.stdout)")
            target = weights
        } else {
            target = String(try #require(r.stdout.split(separator: " ").dropFirst().first.flatMap { Int($0) }, "\(r.stdout)"))
        }
        let cls = target
        let peer = try runProcess(URL(fileURLWithPath: "/usr/bin/python3"), [
            PythonPeer.scripts.appendingPathComponent("gradcam_reference.py").path, arch, dir.appendingPathComponent("x.npy").path,
            target, dir.appendingPathComponent("ref.npy").path,
        ])
        #expect(peer.status == 0, "\(peer.stderr)")
        let mine = try NumPyArray.read(dir.appendingPathComponent("map.npy").path)
        let ref = try NumPyArray.read(dir.appendingPathComponent("ref.npy").path)
        #expect(mine.shape == [224, 224] && ref.shape == mine.shape)
        // Not a degenerate map: scaled maps reach 1 and spread below it.
        #expect((ref.data.max() ?? 0) > 0.99 && (ref.data.min() ?? 1) < 0.01)
        let worst = zip(mine.data, ref.data).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "\(arch) target \(cls): worst difference \(worst)")
        print("\(arch) target \(weighted ? "pooled weights" : "class " + cls): max |Δ| \(worst)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("cam.nii.gz").path))
        if weighted {
            // One weight short of the layer's channels: exit 1 naming both counts, nothing written.
            let short = dir.appendingPathComponent("short.npy").path
            let channels = arch == "resnet50" ? 2048 : 1664
            try NumPyArray.write(Tensor(shape: [channels - 1], data: [Float](repeating: 1, count: channels - 1)), to: short)
            let bad = dir.appendingPathComponent("bad.nii.gz")
            // The same command with the short weights and one output.
            var badArgs = args
            badArgs[badArgs.firstIndex(of: "--target-weights")! + 1] = short
            badArgs[badArgs.firstIndex(of: "-o")! + 1] = bad.path
            for option in ["--save-map", "--save-input", "--overlay"] {
                let i = badArgs.firstIndex(of: option)!
                badArgs.removeSubrange(i...(i + 1))
            }
            let r = try KiraRun.run(badArgs)
            #expect(r.status == 1 && r.stderr.contains("\(channels - 1) values") && r.stderr.contains("\(channels) channels"), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: bad.path))
            let both = try KiraRun.run(badArgs + ["--class", "3"])
            #expect(both.status == 1 && both.stderr.contains("--class and --target-weights"), "\(both.stderr)")
        }
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("overlay.jpg").path))
    }

    /// `--decision`: the map of a Kira model's decision for one case equals the map of
    /// `--target-weights` with the weights computed independently in NumPy from the model file
    /// (z-score then logistic regression: ∂ log-odds / ∂ feature = coefficient / scale), the
    /// network's columns mapped to channels by their number. Both run the same network and crop,
    /// so the maps agree to float32 rounding of the weights (1e-6).
    @Test func decisionMapEqualsTheModelsOwnGradient() throws {
        guard DeepCropTests.available else { print("skipped: needs ../shared/reference (pyradiomics breast1)"); return }
        let dir = try DeepCropTests.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let net = try DeepPeer.network("resnet50")
        let table = dir.appendingPathComponent("features.csv").path, labels = dir.appendingPathComponent("labels.csv").path
        let model = dir.appendingPathComponent("model.json").path, weights = dir.appendingPathComponent("w.npy").path
        // 40 cases, the network's 2048 pooled features of a crop (seeded stand-ins) and one more
        // column; the label depends on a few of the network's columns.
        _ = try PythonPeer.run("""
        import sys, numpy as np
        rng = np.random.default_rng(7)
        x = rng.gamma(2.0, 1.0, (40, 2048)); age = rng.normal(55, 10, 40)
        y = (x[:, 10] + x[:, 500] - x[:, 1500] + 0.3 * rng.normal(size=40) > 2).astype(int)
        names = ["us_net_tumour_f%04d" % (k + 1) for k in range(2048)]
        with open(sys.argv[1], "w") as f:
            f.write(",".join(["id"] + names + ["age"]) + "\\n")
            for i in range(40): f.write(",".join(["c%02d" % i] + ["%.6f" % v for v in x[i]] + ["%.3f" % age[i]]) + "\\n")
        with open(sys.argv[2], "w") as f:
            f.write("id,y\\n" + "".join("c%02d,%d\\n" % (i, y[i]) for i in range(40)))
        """, arguments: [table, labels])
        let train = try KiraRun.run(["train", "--features", table, "--labels", labels, "--label-column", "y", "--select", "zscore",
                                     "--model", "lr", "-o", model])
        try #require(train.status == 0, "\(train.stderr)")
        _ = try PythonPeer.run("""
        import json, sys, numpy as np
        m = json.load(open(sys.argv[1]))["pipeline"]
        g = np.array(m["model"]["logistic"]["coefficients"]) / np.array(m["steps"][0]["scale"])
        w = np.zeros(2048)
        for name, v in zip(m["input_features"], g):
            if name.startswith("us_net_tumour_f"): w[int(name[-4:]) - 1] = v
        np.save(sys.argv[2], w.astype(np.float32))
        """, arguments: [model, weights])
        let common = ["deep", "cam", "--model", net.model, "--image", DeepCropTests.image, "--mask", DeepCropTests.mask,
                      "--crop", "tumour+ring:5mm", "--input", "2.5d"]
        let a = try KiraRun.run(common + ["--decision", model, "--features", table, "--case", "c07", "--columns", "us_net_tumour",
                                          "-o", dir.appendingPathComponent("a.nii.gz").path, "--save-map", dir.appendingPathComponent("a.npy").path])
        try #require(a.status == 0, "\(a.stderr)")
        #expect(a.stdout.hasPrefix("decision of \(model) for c07 at "), "\(a.stdout)")
        let b = try KiraRun.run(common + ["--target-weights", weights, "-o", dir.appendingPathComponent("b.nii.gz").path,
                                          "--save-map", dir.appendingPathComponent("b.npy").path])
        try #require(b.status == 0, "\(b.stderr)")
        let ma = try NumPyArray.read(dir.appendingPathComponent("a.npy").path), mb = try NumPyArray.read(dir.appendingPathComponent("b.npy").path)
        #expect((mb.data.max() ?? 0) > 0.99 && (mb.data.min() ?? 1) < 0.01, "not a degenerate map")
        let worst = zip(ma.data, mb.data).map { abs($0 - $1) }.max() ?? .infinity
        print("decision map vs NumPy weights: max |Δ| \(worst)")
        #expect(worst <= 1e-6)
        // A case the table does not have, or columns the model does not read: exit 1, nothing written.
        for (flag, value, message) in [("--case", "c99", "no row"), ("--columns", "us_other", "reads none of")] {
            var args = common + ["--decision", model, "--features", table, "--case", "c07", "--columns", "us_net_tumour",
                                 "-o", dir.appendingPathComponent("bad.nii.gz").path]
            args[args.firstIndex(of: flag)! + 1] = value
            let r = try KiraRun.run(args)
            #expect(r.status == 1 && r.stderr.contains(message), "\(flag) \(value): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("bad.nii.gz").path))
        }
    }
}
