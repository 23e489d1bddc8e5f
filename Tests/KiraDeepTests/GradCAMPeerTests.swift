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
        let r = try KiraRun.run(args)
        #expect(r.status == 0, "\(r.stderr)")
        let cls = try #require(r.stdout.split(separator: " ").dropFirst().first.flatMap { Int($0) }, "\(r.stdout)")
        let peer = try runProcess(URL(fileURLWithPath: "/usr/bin/python3"), [
            PythonPeer.scripts.appendingPathComponent("gradcam_reference.py").path, arch, dir.appendingPathComponent("x.npy").path,
            String(cls), dir.appendingPathComponent("ref.npy").path,
        ])
        #expect(peer.status == 0, "\(peer.stderr)")
        let mine = try NumPyArray.read(dir.appendingPathComponent("map.npy").path)
        let ref = try NumPyArray.read(dir.appendingPathComponent("ref.npy").path)
        #expect(mine.shape == [224, 224] && ref.shape == mine.shape)
        // Not a degenerate map: scaled maps reach 1 and spread below it.
        #expect((ref.data.max() ?? 0) > 0.99 && (ref.data.min() ?? 1) < 0.01)
        let worst = zip(mine.data, ref.data).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "\(arch) class \(cls): worst difference \(worst)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("cam.nii.gz").path))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("overlay.jpg").path))
    }
}
