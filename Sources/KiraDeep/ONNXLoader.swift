import Foundation
import SwiftProtobuf

/// ONNX protobuf (generated `Onnx_*` types) → the interpreter's `Node`s and initializers,
/// with every check that can be made before any input is seen.
enum ONNXLoader {
    /// Operator sets of the default domain whose versions of the 13 operators this
    /// interpreter implements (the attributes above are those of 7–21).
    static let opsets = 7...21

    struct Loaded {
        var nodes: [Node]
        var initializers: [String: Tensor]
        var inputs: [GraphInput]
        var outputs: [String]
        var opset: Int
    }

    static func load(path: String) throws -> Loaded {
        let bytes: Data
        do { bytes = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw DeepError.unreadableModel(path: path, reason: error.localizedDescription)
        }
        let model: Onnx_ModelProto
        do { model = try Onnx_ModelProto(serializedBytes: bytes) } catch {
            throw DeepError.unreadableModel(path: path, reason: "not an ONNX protobuf (\(error))")
        }
        guard model.hasGraph, !model.graph.node.isEmpty else { throw DeepError.unreadableModel(path: path, reason: "the model has no graph nodes") }
        var opset: Int?
        for o in model.opsetImport where o.domain.isEmpty || o.domain == "ai.onnx" { opset = Int(o.version) }
        guard let opset else { throw DeepError.unsupported(model: path, node: "(model)", reason: "no opset of the default ONNX domain is imported") }
        guard opsets.contains(opset) else {
            throw DeepError.unsupported(model: path, node: "(model)", reason: "opset \(opset); opsets \(opsets.lowerBound)–\(opsets.upperBound) are read")
        }
        let graph = model.graph
        var initializers: [String: Tensor] = [:]
        for t in graph.initializer { initializers[t.name] = try tensor(t, model: path, owner: "initializer '\(t.name)'") }
        var defined = Set(initializers.keys)
        var inputs: [GraphInput] = []
        for v in graph.input where initializers[v.name] == nil {
            let tt = v.type.tensorType
            if tt.elemType != 1 {
                throw DeepError.unsupported(model: path, node: "input '\(v.name)'", reason: "element type \(tt.elemType); float32 (1) inputs are read")
            }
            let dims: [Int?] = tt.shape.dim.map { d in
                if case let .dimValue(n)? = d.value, n > 0 { return Int(n) }
                return nil
            }
            inputs.append(GraphInput(name: v.name, dims: dims))
            defined.insert(v.name)
        }
        var nodes: [Node] = []
        for (i, n) in graph.node.enumerated() {
            let label = "\(n.opType) '\(n.name.isEmpty ? "#\(i)" : n.name)'"
            guard n.domain.isEmpty || n.domain == "ai.onnx" else {
                throw DeepError.unsupported(model: path, node: label, reason: "operator domain '\(n.domain)'")
            }
            guard let op = Operator(rawValue: n.opType) else {
                throw DeepError.unsupported(model: path, node: label, reason: "operator \(n.opType); the interpreter runs " + Operator.allCases.map(\.rawValue).joined(separator: ", "))
            }
            var attributes: [String: Attribute] = [:]
            for a in n.attribute {
                guard op.knownAttributes.contains(a.name) else {
                    throw DeepError.unsupported(model: path, node: label, reason: "attribute '\(a.name)' of \(op.rawValue)")
                }
                attributes[a.name] = try attribute(a, model: path, node: label)
            }
            try checkValues(op, attributes, model: path, node: label)
            for name in n.input where !name.isEmpty && !defined.contains(name) {
                throw DeepError.invalidGraph(model: path, reason: "\(label) reads '\(name)', which no earlier node, input or initializer defines")
            }
            for name in n.output where !name.isEmpty {
                guard !defined.contains(name) else { throw DeepError.invalidGraph(model: path, reason: "\(label) defines '\(name)' a second time") }
                defined.insert(name)
            }
            nodes.append(Node(name: n.name, op: op, inputs: n.input, outputs: n.output, attributes: attributes, label: label))
        }
        let outputs = graph.output.map(\.name)
        for o in outputs where !defined.contains(o) {
            throw DeepError.invalidGraph(model: path, reason: "graph output '\(o)' is defined by no node")
        }
        return Loaded(nodes: nodes, initializers: initializers, inputs: inputs, outputs: outputs, opset: opset)
    }

    /// Attribute values the kernels do not implement, refused at load.
    static func checkValues(_ op: Operator, _ a: [String: Attribute], model: String, node: String) throws {
        func refuse(_ reason: String) -> DeepError { .unsupported(model: model, node: node, reason: reason) }
        if case let .int(v)? = a["training_mode"], v != 0 { throw refuse("BatchNormalization training_mode=1 (inference only)") }
        if case let .int(v)? = a["spatial"], v != 1 { throw refuse("BatchNormalization spatial=0") }
        if case let .int(v)? = a["storage_order"], v != 0 { throw refuse("MaxPool storage_order=1 (only its Indices output depends on it, and that is not computed)") }
        if case let .string(v)? = a["auto_pad"], !["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"].contains(v) { throw refuse("auto_pad '\(v)'") }
        if case let .string(v)? = a["mode"], !["constant", "reflect", "edge"].contains(v) { throw refuse("Pad mode '\(v)'") }
        if op == .maxPool || op == .averagePool, a["kernel_shape"] == nil { throw refuse("\(op.rawValue) without kernel_shape") }
    }

    static func attribute(_ a: Onnx_AttributeProto, model: String, node: String) throws -> Attribute {
        switch a.type {
        case .int: return .int(Int(a.i))
        case .float: return .float(a.f)
        case .string: return .string(String(decoding: a.s, as: UTF8.self))
        case .ints: return .ints(a.ints.map { Int($0) })
        case .floats: return .floats(a.floats)
        case .tensor: return .tensor(try tensor(a.t, model: model, owner: "\(node) attribute '\(a.name)'"))
        default: throw DeepError.unsupported(model: model, node: node, reason: "attribute '\(a.name)' of type \(a.type)")
        }
    }

    /// FLOAT, DOUBLE, INT32 and INT64 tensors, from typed fields or raw little-endian bytes.
    static func tensor(_ t: Onnx_TensorProto, model: String, owner: String) throws -> Tensor {
        if t.dataLocation == .external {
            throw DeepError.unreadableModel(path: model, reason: "\(owner) keeps its data in an external file; save the model with the weights inside")
        }
        let shape = t.dims.map { Int($0) }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw DeepError.invalidGraph(model: model, reason: "\(owner) has a negative size") }
        let count = shape.reduce(1, *)
        let raw = t.hasRawData ? t.rawData : nil
        func fromRaw<T>(_ type: T.Type) throws -> [T] {
            guard let raw else { return [] }
            guard raw.count == count * MemoryLayout<T>.size else {
                throw DeepError.invalidGraph(model: model, reason: "\(owner): \(raw.count) bytes for \(count) values")
            }
            return Kernels.littleEndian(raw, count: count, as: T.self)
        }
        func checked<T>(_ values: [T]) throws -> [T] {
            guard values.count == count else { throw DeepError.invalidGraph(model: model, reason: "\(owner): \(values.count) values for shape \(shapeText(shape))") }
            return values
        }
        switch t.dataType {
        case 1: return Tensor(shape: shape, data: try checked(raw != nil ? try fromRaw(Float.self) : t.floatData))
        case 11: return Tensor(shape: shape, data: try checked(raw != nil ? try fromRaw(Double.self) : t.doubleData).map { Float($0) })
        case 6: return Tensor(shape: shape, ints: try checked(raw != nil ? try fromRaw(Int32.self) : t.int32Data).map { Int64($0) })
        case 7: return Tensor(shape: shape, ints: try checked(raw != nil ? try fromRaw(Int64.self) : t.int64Data))
        default: throw DeepError.unsupported(model: model, node: owner, reason: "tensor element type \(t.dataType); float, double, int32 and int64 are read")
        }
    }
}
