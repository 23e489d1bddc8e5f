import ArgumentParser
import Foundation
import KiraCore
import KiraDeep

struct DeepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deep",
        abstract: "Convolutional networks from ONNX files (ResNet-50, DenseNet-169) run by Kira's own interpreter.",
        discussion: """
        The interpreter reads ONNX models (opsets 7–21) made of Conv, Relu, Add, Identity,
        MaxPool, AveragePool, GlobalAveragePool, Flatten, Gemm, Concat, BatchNormalization,
        Pad and Constant: what torchvision's ResNet and DenseNet export to. A model with any
        other operator, or an attribute the interpreter does not implement, is refused when it
        is loaded, naming the node. Computation is float32; convolutions are im2col and
        OpenBLAS SGEMM, with batch normalisation folded into the convolution before it.

        \(DeepExit.helpText)
        """,
        subcommands: [DeepRunCommand.self, DeepFeaturesCommand.self, DeepCamCommand.self]
    )
}

enum DeepExit {
    static let helpText = """
    EXIT CODES:
      0  the model ran and every output was written
      1  nothing was written: bad usage, an unreadable model or array, an operator or
         attribute the interpreter lacks (the node is named), an input whose shape differs
         from the model's (the input is named), an unknown --output-layer, or an existing
         output without --overwrite
      130  interrupted by SIGINT, 143 by SIGTERM (temporary files removed)
    """
}

/// Runs a command body, turning Kira's and the interpreter's errors into exit 1 with the
/// message on stderr.
func deepRun(_ name: String, _ body: () throws -> Void) throws {
    do { try body() } catch let e as DeepError {
        FileHandle.standardError.write(Data("kira deep \(name): \(e.description)\n".utf8))
        throw ExitCode(KiraExit.failure.rawValue)
    } catch let e as KiraError {
        FileHandle.standardError.write(Data("kira deep \(name): \(e.description)\n".utf8))
        throw ExitCode(KiraExit.failure.rawValue)
    }
}
