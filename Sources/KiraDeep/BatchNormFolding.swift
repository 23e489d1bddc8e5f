/// BatchNormalization folded into the convolution before it: W' = W·s, b' = (b − mean)·s + β
/// with s = γ/√(var + ε), so the network runs one pass fewer over every such activation.
/// Only where the convolution's weights are initializers and its output feeds nothing but the
/// normalisation (and is not asked for by name).
enum BatchNormFolding {
    static func fold(_ nodes: [Node], initializers: inout [String: Tensor], keep: Set<String>) -> [Node] {
        var consumers: [String: Int] = [:]
        for n in nodes { for i in n.inputs where !i.isEmpty { consumers[i, default: 0] += 1 } }
        var producer: [String: Int] = [:]
        for (i, n) in nodes.enumerated() { for o in n.outputs { producer[o] = i } }
        var out = nodes
        var removed = Set<Int>()
        for (bi, bn) in nodes.enumerated() where bn.op == .batchNormalization && bn.outputs.count == 1 {
            let x = bn.inputs[0]
            guard let ci = producer[x], nodes[ci].op == .conv, consumers[x] == 1, !keep.contains(x) else { continue }
            let conv = out[ci]
            let params = bn.inputs.dropFirst().prefix(4).map { initializers[$0] }
            guard params.count == 4, params.allSatisfy({ $0 != nil }), let w = initializers[conv.inputs[1]] else { continue }
            let m = w.shape[0]
            guard params.allSatisfy({ $0!.count == m }) else { continue }
            let (s, t) = batchNormAffine(scale: params[0]!.data, bias: params[1]!.data, mean: params[2]!.data,
                                         variance: params[3]!.data, epsilon: bn.float("epsilon", default: 1e-5))
            let per = w.count / m
            var wf = w.data
            for oc in 0..<m { for j in 0..<per { wf[oc * per + j] *= s[oc] } }
            var b = [Float](repeating: 0, count: m)
            if conv.inputs.count > 2, !conv.inputs[2].isEmpty, let cb = initializers[conv.inputs[2]] { b = cb.data }
            for oc in 0..<m { b[oc] = b[oc] * s[oc] + t[oc] }
            // New initializer names: the originals may be shared with other nodes.
            let wName = "\(conv.inputs[1])::bnfold\(bi)", bName = "\(conv.inputs[1])::bnfold\(bi)::bias"
            initializers[wName] = Tensor(shape: w.shape, data: wf)
            initializers[bName] = Tensor(shape: [m], data: b)
            var folded = conv
            folded.inputs = [conv.inputs[0], wName, bName]
            folded.outputs = [bn.outputs[0]]
            folded.label = "\(conv.label) + \(bn.label)"
            out[ci] = folded
            removed.insert(bi)
        }
        return out.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }
}
