/// Convolution weights packed once at load for Kira's own SGEMM (`kira_gemm_packed`), as
/// ONNX Runtime packs its own: OpenBLAS repacks the weights on every call, which costs most
/// on the late layers whose 7×7 maps give each product only 49 columns. A Winograd node's
/// transformed bank (input 4) is replaced by its packed form; any other convolution whose
/// weights are an initializer gets its packed weights, one block per group, as a fifth input
/// (`Node.packedInput`). A Gemm whose B is an initializer (and alpha 1, A not transposed: a
/// classifier) gets op(B)ᵀ packed there too, and runs as op(B)ᵀ·Aᵀ one row of A at a time,
/// so that on these CPUs OpenBLAS is not even loaded for the networks Kira's tests run.
/// On a CPU without AVX2 and FMA nothing changes and OpenBLAS does every product.
enum GEMMPlan {
    static func prepare(_ nodes: [Node], initializers: inout [String: Tensor]) -> [Node] {
        guard Kernels.ownGEMM else { return nodes }
        return nodes.map { node in
            if node.op == .gemm { return classifier(node, initializers: &initializers) }
            guard node.op == .conv, node.inputs.count >= 2, let w = initializers[node.inputs[1]], w.rank == 4, w.shape[0] > 0 else { return node }
            let wino = node.inputs.count > Node.winogradInput ? node.inputs[Node.winogradInput] : ""
            if !wino.isEmpty, let u = initializers[wino] {
                // A bank shared by two nodes is packed once.
                if u.rank == 3 {
                    let packed = Kernels.packGEMM(u.data, count: 16, rows: u.shape[1], columns: u.shape[2])
                    initializers[wino] = Tensor(shape: [16, packed.count / 16], data: packed)
                }
                return node
            }
            let groups = node.int("group", default: 1)
            guard groups >= 1, w.shape[0] % groups == 0 else { return node }
            let name = "\(node.inputs[1])::packed"
            if initializers[name] == nil {
                let packed = Kernels.packGEMM(w.data, count: groups, rows: w.shape[0] / groups, columns: w.count / w.shape[0])
                initializers[name] = Tensor(shape: [groups, packed.count / groups], data: packed)
            }
            return node.settingInput(Node.packedInput, to: name)
        }
    }

    private static func classifier(_ node: Node, initializers: inout [String: Tensor]) -> Node {
        guard node.inputs.count >= 2, let b = initializers[node.inputs[1]], b.rank == 2, b.count > 0,
              node.int("transA", default: 0) == 0, node.float("alpha", default: 1) == 1 else { return node }
        let transB = node.int("transB", default: 0) != 0
        let (n, k) = transB ? (b.shape[0], b.shape[1]) : (b.shape[1], b.shape[0])
        let name = "\(node.inputs[1])::packed\(transB ? "" : "T")"
        if initializers[name] == nil {
            // op(B)ᵀ is B itself when transB is set, else B transposed.
            let rows = transB ? b.data : (0..<(n * k)).map { b.data[($0 % k) * n + $0 / k] }
            initializers[name] = Tensor(shape: [1, Kernels.packedGEMMSize(rows: n, columns: k)],
                                        data: Kernels.packGEMM(rows, count: 1, rows: n, columns: k))
        }
        return node.settingInput(Node.packedInput, to: name)
    }
}
