import ArgumentParser
import Foundation
import KiraCore
import KiraDeep

struct DeepRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an ONNX model on a NumPy tensor and write the named outputs as .npy files.",
        discussion: """
        --input is a .npy array (float32, float64, int32 or int64, C order) of the shape the
        model's input declares. When that shape has a batch size of 1 or a free batch size,
        the first axis may hold several samples: they run separately, --threads at a time, and
        the outputs are stacked. Each output goes to DIR/NAME.npy as float32, NAME being the
        tensor name with characters other than letters, digits, '.', '-' and '_' replaced by
        '_'. --output-layer names any tensor of the graph (see --list); default: the graph's
        outputs. All outputs are computed before any file is written.

        \(DeepExit.helpText)
        """
    )

    @Option(help: "ONNX model file.")
    var model: String

    @Option(help: "Input tensor (.npy).")
    var input: String

    @Option(name: .customLong("output-layer"), help: "A tensor to write (repeatable; default: the graph outputs).")
    var outputLayers: [String] = []

    @Option(name: .shortAndLong, help: "Output folder (created if missing).")
    var output: String

    @Option(help: "Threads: samples run in parallel, or BLAS threads for a single sample.")
    var threads = 1

    @OptionGroup var replace: OutputOptions

    func validate() throws {
        for (option, path) in [("--model", model), ("--input", input)] where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(option) '\(path)' does not exist")
        }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        try replace.check([.init(output, option: "-o", format: .folder)], inputs: [model, input])
    }

    func run() throws {
        try deepRun("run") {
            let net = try DeepModel(path: model, keep: Set(outputLayers))
            let names = outputLayers.isEmpty ? net.outputs : outputLayers
            let plan = try DeepRun.plan(names, folder: output, overwrite: replace.overwrite)
            for p in plan where OutputGuard.isSameFile(p.path, model) || OutputGuard.isSameFile(p.path, input) {
                throw KiraError.invalidArgument("'\(p.path)' is an input; an input is never written over")
            }
            let x = try NumPyArray.read(input)
            let results = try net.runBatch(x, outputs: names, threads: threads)
            try DeepRun.write(results, plan: plan, folder: output)
            for p in plan {
                let shape = results[p.tensor]!.shape.map(String.init).joined(separator: "×")
                print("\(p.tensor) [\(shape)] → \(p.path)")
            }
        }
    }
}
