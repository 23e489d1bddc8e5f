import Foundation
import KiraCore

/// A loaded ONNX network ready to run: checked graph, folded batch normalisation, and the
/// schedule of when each intermediate tensor can be released.
public struct DeepModel: Sendable {
    public let path: String
    public let opset: Int
    public let inputs: [GraphInput]
    /// The graph's declared outputs.
    public let outputs: [String]
    let nodes: [Node]
    let initializers: [String: Tensor]

    /// `keep`: tensors that will be asked for by name (folding must not remove them).
    public init(path: String, keep: Set<String> = [], foldBatchNorm: Bool = true) throws {
        try self.init(path: path, loaded: try ONNXLoader.load(path: path), keep: keep, foldBatchNorm: foldBatchNorm)
    }

    init(path: String, loaded: ONNXLoader.Loaded, keep: Set<String>, foldBatchNorm: Bool = true) throws {
        var initializers = loaded.initializers
        self.path = path
        opset = loaded.opset
        inputs = loaded.inputs
        outputs = loaded.outputs
        let kept = keep.union(loaded.outputs)
        let folded = foldBatchNorm ? BatchNormFolding.fold(loaded.nodes, initializers: &initializers, keep: kept) : loaded.nodes
        let fused = Fusion.fuse(folded, initializers: initializers, keep: kept)
        nodes = GEMMPlan.prepare(WinogradPlan.prepare(fused, initializers: &initializers), initializers: &initializers)
        if nodes.contains(where: \.multipliesWithBLAS), let problem = Kernels.loadBLAS() { throw DeepError.noBLAS(problem) }
        self.initializers = initializers
    }

    /// Every tensor name a node produces, in graph order (what `--output-layer` may name).
    public var tensorNames: [String] { nodes.flatMap { $0.outputs.filter { !$0.isEmpty } } }

    /// The operators that run after folding; one fused into another (see `Fusion`) still counts.
    public var operatorCounts: [String: Int] {
        var out: [String: Int] = [:]
        for n in nodes {
            out[n.op.rawValue, default: 0] += 1
            if n.affine != nil { out[Operator.batchNormalization.rawValue, default: 0] += 1 }
            if n.reluAfter { out[Operator.relu.rawValue, default: 0] += 1 }
            if n.addsResidual { out[Operator.add.rawValue, default: 0] += 1 }
            if n.readsParts { out[Operator.concat.rawValue, default: 0] += 1 }
            if n.partsAffine != nil { out[Operator.batchNormalization.rawValue, default: 0] += 1 }
            if n.partsRelu { out[Operator.relu.rawValue, default: 0] += 1 }
        }
        return out
    }

    /// The nodes that run, by operator: a fused operator is not counted apart.
    public var nodeCounts: [String: Int] {
        var out: [String: Int] = [:]
        for n in nodes { out[n.op.rawValue, default: 0] += 1 }
        return out
    }

    /// Runs the graph on named inputs and returns the requested tensors (default: the graph
    /// outputs). Intermediate tensors are released after their last reader.
    public func run(_ feeds: [String: Tensor], outputs requested: [String]? = nil) throws -> [String: Tensor] {
        let wanted = requested ?? outputs
        let produced = Set(tensorNames).union(initializers.keys).union(inputs.map(\.name))
        for w in wanted where !produced.contains(w) { throw DeepError.unknownOutput(model: path, name: w) }
        for i in inputs {
            guard let t = feeds[i.name] else {
                throw DeepError.shapeMismatch(model: path, node: "input '\(i.name)'", reason: "no tensor given")
            }
            try checkShape(t.shape, against: i)
        }
        var lastUse: [String: Int] = [:]
        for (k, n) in nodes.enumerated() { for i in n.inputs { lastUse[i] = k } }
        let keep = Set(wanted)
        var values: [String: Tensor] = feeds
        for (k, n) in nodes.enumerated() {
            var args = n.inputs.map { $0.isEmpty ? nil : (values[$0] ?? initializers[$0]) }
            // Released before the node runs, so that it may write over an input it read last.
            for name in n.inputs where lastUse[name] == k && !keep.contains(name) { values[name] = nil }
            let results = try n.run(&args, model: path)
            for (name, t) in zip(n.outputs, results) where !name.isEmpty { values[name] = t }
        }
        var out: [String: Tensor] = [:]
        for w in wanted { out[w] = values[w] ?? initializers[w] }
        return out
    }

    func checkShape(_ shape: [Int], against input: GraphInput) throws {
        let expected = input.dims.map { $0.map(String.init) ?? "?" }.joined(separator: "×")
        guard shape.count == input.dims.count, zip(shape, input.dims).allSatisfy({ $0.1 == nil || $0.0 == $0.1 }) else {
            throw DeepError.shapeMismatch(model: path, node: "input '\(input.name)'",
                                          reason: "the model expects \(expected), got \(shape.map(String.init).joined(separator: "×"))")
        }
    }

    /// Runs a batch along the first axis of the model's single input. When the model's batch
    /// size is 1 or free, the samples run separately, `threads` at a time, each with one BLAS
    /// thread (a lone sample gets all `threads` inside OpenBLAS where OpenBLAS multiplies; Kira's
    /// own SGEMM runs on the calling thread); results are stacked in order.
    public func runBatch(_ batch: Tensor, outputs requested: [String]? = nil, threads: Int = 1) throws -> [String: Tensor] {
        guard inputs.count == 1, let input = inputs.first else {
            throw DeepError.shapeMismatch(model: path, node: "(model)", reason: "\(inputs.count) graph inputs; a batch run needs exactly one")
        }
        let n = batch.shape.first ?? 0
        let perSample = n > 1 && (input.dims.first ?? nil).map { $0 == 1 } ?? (n > 1)
        guard perSample else {
            Kernels.setBLASThreads(threads)
            return try run([input.name: batch], outputs: requested)
        }
        try checkShape([1] + batch.shape.dropFirst(), against: input)
        Kernels.setBLASThreads(1)
        let parts = try concurrentMap(n, workers: max(1, threads)) { i throws(DeepError) -> [String: Tensor] in
            do { return try run([input.name: batch.sample(i)], outputs: requested) } catch let e as DeepError { throw e } catch {
                throw DeepError.invalidGraph(model: path, reason: "\(error)")
            }
        }
        var out: [String: Tensor] = [:]
        for name in requested ?? outputs { out[name] = Tensor.stack(parts.map { $0[name]! }) }
        return out
    }
}
