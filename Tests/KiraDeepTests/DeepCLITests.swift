import Foundation
import KiraDeep
import KiraTestSupport
import Testing

/// `kira deep run`: outputs as .npy files, and the refusals (exit 1, the node or input
/// named, nothing written).
@Suite("kira deep run", .serialized)
struct DeepCLITests {
    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kira-deep-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func writesGraphOutputsAndNamedLayers() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases = try DeepPeer.operatorCaseFolder()
        let model = cases.appendingPathComponent("conv_batchnorm_relu_folded.onnx").path
        let input = cases.appendingPathComponent("conv_batchnorm_relu_folded.input.npy").path
        let out = dir.appendingPathComponent("out").path
        let r = try KiraRun.run(["deep", "run", "--model", model, "--input", input, "--output-layer", "y", "--output-layer", "c", "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        let y = try NumPyArray.read(out + "/y.npy"), ort = try NumPyArray.read(cases.appendingPathComponent("conv_batchnorm_relu_folded.ort.npy").path)
        #expect(y.shape == ort.shape)
        #expect(zip(y.data, ort.data).allSatisfy { abs($0 - $1) <= 1e-5 * (1 + abs($1)) })
        // "c", the convolution before the normalisation, is kept apart from the fold.
        let c = try NumPyArray.read(out + "/c.npy")
        #expect(c.shape == [1, 6, 8, 8])
        let again = try KiraRun.run(["deep", "run", "--model", model, "--input", input, "-o", out])
        #expect(again.status == 1 && again.stderr.contains("exists; pass --overwrite"), "\(again.stderr)")
    }

    @Test(arguments: [
        ("unsupported_operator", "node Sigmoid 'head_sigmoid': unsupported: operator Sigmoid"),
        ("unknown_attribute", "node Conv 'conv_odd': unsupported: attribute 'foo' of Conv"),
        ("training_batchnorm", "node BatchNormalization 'bn_train': unsupported: BatchNormalization training_mode=1"),
        ("old_opset", "unsupported: opset 6; opsets 7–21 are read"),
        ("undefined_input", "Add 'add_missing' reads 'missing', which no earlier node, input or initializer defines"),
    ])
    func refusesBadModelsNamingTheNode(_ name: String, _ message: String) throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases = try DeepPeer.operatorCaseFolder()
        let out = dir.appendingPathComponent("out")
        let r = try KiraRun.run(["deep", "run", "--model", cases.appendingPathComponent("bad/\(name).onnx").path,
                            "--input", cases.appendingPathComponent("relu.input.npy").path, "-o", out.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func refusesAWrongInputSizeNamingTheInput() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases = try DeepPeer.operatorCaseFolder()
        let out = dir.appendingPathComponent("out")
        // conv_default expects 1×3×9×9; relu's input is 2×3×4×5.
        let r = try KiraRun.run(["deep", "run", "--model", cases.appendingPathComponent("conv_default.onnx").path,
                            "--input", cases.appendingPathComponent("relu.input.npy").path, "-o", out.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("input 'x': the model expects 1×3×9×9, got 1×3×4×5"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        let unknown = try KiraRun.run(["deep", "run", "--model", cases.appendingPathComponent("relu.onnx").path,
                                  "--input", cases.appendingPathComponent("relu.input.npy").path, "--output-layer", "nope", "-o", out.path])
        #expect(unknown.status == 1 && unknown.stderr.contains("no tensor named 'nope' in the graph"), "\(unknown.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
