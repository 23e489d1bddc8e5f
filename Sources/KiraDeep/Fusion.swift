/// Activations applied by the operator that produces their input, so that no pass (and no
/// copy) of a whole activation is made for them: ReLU after Conv, Add, BatchNormalization or
/// Concat, an Add after a Conv, and DenseNet's BatchNormalization after Concat (each dense
/// layer normalises the concatenation of all earlier outputs, which would otherwise be copied
/// three times), then that Concat into the 1×1 convolution that reads it.
/// Only where the intermediate tensor feeds nothing else and is not asked for by name.
enum Fusion {
    static func fuse(_ nodes: [Node], initializers: [String: Tensor], keep: Set<String>) -> [Node] {
        var out = fuse(nodes, keep: keep) { first, second in
            guard first.op == .concat, first.affine == nil, !first.reluAfter, second.op == .batchNormalization,
                  second.outputs.count == 1, first.int("axis", default: 1) == 1 else { return nil }
            let params = second.inputs.dropFirst().prefix(4).map { initializers[$0] }
            guard params.count == 4, let s = params[0], let b = params[1], let m = params[2], let v = params[3],
                  s.count == b.count, s.count == m.count, s.count == v.count else { return nil }
            let (scale, shift) = batchNormAffine(scale: s.data, bias: b.data, mean: m.data, variance: v.data,
                                                 epsilon: second.float("epsilon", default: 1e-5))
            var fused = first
            fused.affine = ChannelAffine(scale: scale, shift: shift)
            return fused
        }
        // ResNet's residual join: the convolution before the Add stores its sums onto the
        // residual (Kira's own SGEMM adds it in the same pass; elsewhere the Add runs after).
        out = fuse(out, keep: keep) { first, second in
            guard first.op == .conv, second.op == .add, !first.reluAfter, !first.addsResidual,
                  second.inputs.count == 2, !second.inputs[1].isEmpty else { return nil }
            return first.settingInput(Node.residualInput, to: second.inputs[1])
        }
        out = fuse(out, keep: keep) { first, second in
            guard second.op == .relu, [.conv, .add, .batchNormalization, .concat].contains(first.op), !first.reluAfter else { return nil }
            var fused = first
            fused.reluAfter = true
            return fused
        }
        // DenseNet's 1×1 convolution after each Concat reads the parts row by row, normalised
        // and clamped as Kira's own SGEMM packs them: the concatenation itself is never written.
        // Only weights that GEMMPlan packs (an initializer, one group) qualify.
        guard Kernels.ownGEMM else { return out }
        out = fuse(out, keep: keep) { first, second in
            // The Conv's input has rank 4, so axis −3 is the channel axis too.
            guard first.op == .concat, [1, -3].contains(first.int("axis", default: 1)), !first.inputs.contains(""),
                  second.op == .conv, !second.addsResidual, second.inputs.count >= 2,
                  let w = initializers[second.inputs[1]], w.rank == 4, w.shape[0] > 0, w.shape[2] == 1, w.shape[3] == 1,
                  second.int("group", default: 1) == 1, (second.ints("strides") ?? [1, 1]) == [1, 1],
                  (second.ints("pads") ?? [0, 0, 0, 0]).allSatisfy({ $0 == 0 }),
                  ["NOTSET", "VALID"].contains(second.string("auto_pad", default: "NOTSET")) else { return nil }
            var fused = second.settingInput(Node.residualInput, to: "")
            fused.inputs[0] = ""
            fused.inputs += first.inputs
            fused.partsAffine = first.affine
            fused.partsRelu = first.reluAfter
            return fused
        }
        return out
    }

    /// Replaces each pair (producer, its only reader) that `combine` accepts with the combined
    /// node, which writes the reader's output and runs where the reader ran: the reader's other
    /// inputs (an Add's residual) may be made between the two.
    private static func fuse(_ nodes: [Node], keep: Set<String>, _ combine: (Node, Node) -> Node?) -> [Node] {
        var readers: [String: [Int]] = [:]
        for (i, n) in nodes.enumerated() { for name in Set(n.inputs) where !name.isEmpty { readers[name, default: []].append(i) } }
        var out = nodes
        var removed = Set<Int>()
        for i in nodes.indices where out[i].outputs.count == 1 && !removed.contains(i) {
            let t = out[i].outputs[0]
            guard !keep.contains(t), let r = readers[t], r.count == 1, nodes[r[0]].inputs.first == t,
                  nodes[r[0]].inputs.dropFirst().allSatisfy({ $0 != t }), nodes[r[0]].outputs.count == 1,
                  var fused = combine(out[i], out[r[0]]) else { continue }
            fused.outputs = nodes[r[0]].outputs
            fused.label = "\(out[i].label) + \(nodes[r[0]].label)"
            out[r[0]] = fused
            removed.insert(i)
        }
        return out.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }
}
