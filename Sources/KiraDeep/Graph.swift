/// The interpreter's own form of an ONNX graph: operators as an enum, attributes decoded and
/// checked once at load, so running a node never meets an unknown name.
public enum Operator: String, CaseIterable, Sendable {
    case conv = "Conv", relu = "Relu", add = "Add", identity = "Identity", maxPool = "MaxPool"
    case averagePool = "AveragePool", globalAveragePool = "GlobalAveragePool", flatten = "Flatten"
    case gemm = "Gemm", concat = "Concat", batchNormalization = "BatchNormalization", pad = "Pad"
    case constant = "Constant"

    /// The attributes of each operator as of the opsets read (7–21); any other name is refused
    /// at load so that a model relying on it is never run with it silently ignored.
    var knownAttributes: Set<String> {
        switch self {
        case .conv: ["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"]
        case .maxPool: ["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"]
        case .averagePool: ["auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides"]
        case .flatten, .concat: ["axis"]
        case .gemm: ["alpha", "beta", "transA", "transB"]
        case .batchNormalization: ["epsilon", "momentum", "training_mode", "spatial"]
        case .pad: ["mode", "pads", "value"]
        case .constant: ["value", "value_float", "value_floats", "value_int", "value_ints"]
        case .relu, .add, .identity, .globalAveragePool: []
        }
    }
}

/// Inference batch normalisation reduced to one multiply-add per value of a channel.
struct ChannelAffine: Sendable {
    var scale: [Float]
    var shift: [Float]
}

public enum Attribute: Sendable {
    case int(Int), float(Float), string(String), ints([Int]), floats([Float]), tensor(Tensor)
}

struct Node: Sendable {
    var name: String
    var op: Operator
    /// Input tensor names; "" is an omitted optional input.
    var inputs: [String]
    var outputs: [String]
    var attributes: [String: Attribute]

    /// "Conv 'conv1' (node 3)": how errors name a node, with its index when it has no name.
    var label: String

    /// Set by `Fusion`: a per-channel y = scale·x + shift (a BatchNormalization that read this
    /// Concat) and then a ReLU, applied as the node writes its output.
    var affine: ChannelAffine?
    var reluAfter = false

    /// Conv's inputs past ONNX's three, set by the load-time plans: the Winograd bank (3),
    /// the packed weights (4) and a residual added as the output is stored (5). A 1×1 Conv
    /// that took the Concat before it reads that Concat's parts (6 on) with input 0 omitted.
    static let winogradInput = 3, packedInput = 4, residualInput = 5, partsInput = 6

    /// Set by `Fusion` on a Conv that reads a Concat's parts: that Concat's own normalisation
    /// and ReLU, applied to each row as it is read.
    var partsAffine: ChannelAffine?
    var partsRelu = false

    /// This node with input `i` set to `name`, omitted inputs ("") filling any gap.
    func settingInput(_ i: Int, to name: String) -> Node {
        var n = self
        while n.inputs.count <= i { n.inputs.append("") }
        n.inputs[i] = name
        return n
    }

    /// A Conv that `Fusion` gave the Add after it.
    var addsResidual: Bool { op == .conv && inputs.count > Node.residualInput && !inputs[Node.residualInput].isEmpty }

    /// A Conv or Gemm whose products go to OpenBLAS: weights not packed by `GEMMPlan` (a
    /// Winograd bank is packed in place whenever Kira's own SGEMM runs).
    var multipliesWithBLAS: Bool {
        guard op == .conv || op == .gemm else { return false }
        let packed = inputs.count > Node.packedInput && !inputs[Node.packedInput].isEmpty
        let winograd = inputs.count > Node.winogradInput && !inputs[Node.winogradInput].isEmpty
        return !(packed || (op == .conv && winograd && Kernels.ownGEMM))
    }

    /// A Conv that `Fusion` gave the Concat before it.
    var readsParts: Bool { op == .conv && inputs.count > Node.partsInput }

    func int(_ key: String, default d: Int) -> Int {
        if case let .int(v)? = attributes[key] { return v }
        return d
    }

    func float(_ key: String, default d: Float) -> Float {
        if case let .float(v)? = attributes[key] { return v }
        return d
    }

    func ints(_ key: String) -> [Int]? {
        if case let .ints(v)? = attributes[key] { return v }
        return nil
    }

    func string(_ key: String, default d: String) -> String {
        if case let .string(v)? = attributes[key] { return v }
        return d
    }
}

/// One declared graph input: its name and sizes (nil where the size is symbolic).
public struct GraphInput: Sendable, Equatable {
    public var name: String
    public var dims: [Int?]
}
