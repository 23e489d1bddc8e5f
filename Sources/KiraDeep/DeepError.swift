/// Why a model cannot be loaded or run, naming the model file and node, input or output.
public enum DeepError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The file is not a readable ONNX model (not protobuf, no graph, external data).
    case unreadableModel(path: String, reason: String)
    /// The model uses an operator set, operator, attribute or type the interpreter lacks.
    case unsupported(model: String, node: String, reason: String)
    /// The graph is malformed (an input no node produces, a tensor defined twice).
    case invalidGraph(model: String, reason: String)
    /// A tensor given to the model does not match what the graph declares or a node needs.
    case shapeMismatch(model: String, node: String, reason: String)
    /// A requested output name is no tensor of the graph.
    case unknownOutput(model: String, name: String)
    /// A NumPy file that cannot be read as a float tensor.
    case badArray(path: String, reason: String)
    /// OpenBLAS could not be opened.
    case noBLAS(String)

    public var description: String {
        switch self {
        case let .unreadableModel(p, r): "\(p): not a usable ONNX model: \(r)"
        case let .unsupported(m, n, r): "\(m): node \(n): unsupported: \(r)"
        case let .invalidGraph(m, r): "\(m): invalid graph: \(r)"
        case let .shapeMismatch(m, n, r): "\(m): \(n): \(r)"
        case let .unknownOutput(m, n): "\(m): no tensor named '\(n)' in the graph"
        case let .badArray(p, r): "\(p): not a usable NumPy array: \(r)"
        case let .noBLAS(r): r
        }
    }
}
