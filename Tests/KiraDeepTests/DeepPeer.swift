import Foundation
import KiraDeep
import KiraTestSupport

/// Models and reference outputs made once per test process in a temporary folder: the
/// operator cases (onnx helper + ONNX Runtime, pyenv's python3) and torchvision networks
/// with seeded random weights (exported by Debian's /usr/bin/python3, where torch lives).
enum DeepPeer {
    static let folder: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kira-deep-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }()

    private static let lock = NSLock()
    nonisolated(unsafe) private static var operatorCases: Result<URL, Error>?
    nonisolated(unsafe) private static var networks: [String: Result<Network, Error>] = [:]

    /// The folder holding NAME.onnx, NAME.input.npy and NAME.ort.npy for every operator case.
    static func operatorCaseFolder() throws -> URL {
        lock.lock(); defer { lock.unlock() }
        if let r = operatorCases { return try r.get() }
        let dir = folder.appendingPathComponent("operators")
        let r = Result {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try PythonPeer.script("onnx_operator_cases.py", [dir.path])
            return dir
        }
        operatorCases = r
        return try r.get()
    }

    struct Network {
        var model: String
        var input: Tensor
        var inputPath: String
        /// Tensor names in the graph: the last feature map, the pooled features, the logits.
        var mapName: String, pooledName: String, logitsName: String
        var ortMap: Tensor, ortPooled: Tensor, ortLogits: Tensor
        var torchLogits: Tensor
    }

    /// Two 224×224 samples (seeded normal values) through `arch` (resnet50, densenet169).
    static func network(_ arch: String) throws -> Network {
        lock.lock(); defer { lock.unlock() }
        if let r = networks[arch] { return try r.get() }
        let r = Result { try exportNetwork(arch) }
        networks[arch] = r
        return try r.get()
    }

    private static func exportNetwork(_ arch: String) throws -> Network {
        let dir = folder.appendingPathComponent(arch)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let input = dir.appendingPathComponent("input.npy").path
        try PythonPeer.run("import numpy as np, sys; np.save(sys.argv[1], np.random.default_rng(21).standard_normal((2, 3, 224, 224)).astype(np.float32))", arguments: [input])
        let model = dir.appendingPathComponent("\(arch).onnx").path
        let torchLogits = dir.appendingPathComponent("torch_logits.npy").path
        let export = try runProcess(URL(fileURLWithPath: "/usr/bin/python3"),
                                    [PythonPeer.scripts.appendingPathComponent("torchvision_export.py").path, arch, model, input, torchLogits])
        guard export.status == 0 else { throw ExportFailure(message: "torchvision_export.py: " + export.stderr) }
        let names = try PythonPeer.script("ort_features.py", [model, input, dir.path])
            .split(whereSeparator: \.isWhitespace).map(String.init)
        func npy(_ name: String) throws -> Tensor { try NumPyArray.read(dir.appendingPathComponent(name).path) }
        return Network(model: model, input: try NumPyArray.read(input), inputPath: input, mapName: names[0], pooledName: names[1],
                       logitsName: names[2], ortMap: try npy("map.npy"), ortPooled: try npy("pooled.npy"),
                       ortLogits: try npy("logits.npy"), torchLogits: try NumPyArray.read(torchLogits))
    }

    struct ExportFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// max |a − b| / max |b|: the error relative to the tensor's scale.
    static func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
        var worst = 0.0, scale = 0.0
        for (x, y) in zip(a.data, b.data) {
            worst = max(worst, abs(Double(x) - Double(y)))
            scale = max(scale, abs(Double(y)))
        }
        return worst / max(scale, .leastNormalMagnitude)
    }

    /// Every file a study run left under `root` with its bytes (the ledger and the lock, which
    /// change on every run, left out): what "a rerun leaves the outputs byte-identical" compares.
    static func studyOutputs(_ root: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        let e = FileManager.default.enumerator(atPath: root.path)
        while let f = e?.nextObject() as? String {
            let u = root.appendingPathComponent(f)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: u.path, isDirectory: &isDir), !isDir.boolValue,
                  !f.hasPrefix("ledger.sqlite"), !f.hasPrefix(".kira-study.lock") else { continue }
            out[f] = try Data(contentsOf: u)
        }
        return out
    }
}
