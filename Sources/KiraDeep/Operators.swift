/// Each operator's semantics on whole tensors: shape rules, attribute defaults and the checks
/// that name the node when its inputs do not fit. The arithmetic is in `Kernels`.
extension Node {
    /// `x` holds the inputs; the caller has released its own references to those read for the
    /// last time, so an operator that takes one (`owned`) can write its result over it.
    func run(_ x: inout [Tensor?], model: String) throws -> [Tensor] {
        func input(_ i: Int) throws -> Tensor {
            guard i < x.count, let t = x[i] else { throw DeepError.invalidGraph(model: model, reason: "\(label) lacks input \(i + 1)") }
            return t
        }
        func owned(_ i: Int) throws -> Tensor {
            guard i < x.count, let t = x[i].take() else { throw DeepError.invalidGraph(model: model, reason: "\(label) lacks input \(i + 1)") }
            return t
        }
        func fail(_ reason: String) -> DeepError { .shapeMismatch(model: model, node: label, reason: reason) }
        /// a += b broadcast (ONNX Add), then the node's ReLU: the Add itself and a residual that
        /// a convolution could not store onto.
        func add(_ a: inout Tensor, _ b: Tensor) throws {
            guard let shape = broadcastShape(a.shape, b.shape) else {
                throw fail("Add of shapes \(shapeText(a.shape)) and \(shapeText(b.shape)) cannot be broadcast")
            }
            Kernels.add(&a, b, shape: shape, relu: reluAfter)
        }
        switch op {
        case .identity: return [try input(0)]
        case .relu:
            var y = try owned(0)
            Kernels.relu(&y)
            return [y]
        case .constant: return [try constantValue(model: model)]
        case .add:
            let b = try input(1)
            var a = try owned(0)
            try add(&a, b)
            return [a]
        case .globalAveragePool:
            let a = try input(0)
            guard a.rank >= 3 else { throw fail("GlobalAveragePool needs N×C×spatial input, got \(shapeText(a.shape))") }
            return [Kernels.globalAveragePool(a)]
        case .flatten:
            let a = try input(0)
            var axis = int("axis", default: 1)
            if axis < 0 { axis += a.rank }
            guard axis >= 0 && axis <= a.rank else { throw fail("Flatten axis \(int("axis", default: 1)) outside rank \(a.rank)") }
            var y = a
            y.shape = [a.shape.prefix(axis).reduce(1, *), a.shape[axis...].reduce(1, *)]
            return [y]
        case .concat:
            let parts = try (0..<x.count).map { try input($0) }
            let axis = try joinedShape(parts, axis: int("axis", default: 1), affine: affine, model: model).axis
            return [Kernels.concat(parts, axis: axis, affine: affine, relu: reluAfter)]
        case .gemm:
            let a = try input(0), b = try input(1)
            guard a.rank == 2, b.rank == 2 else { throw fail("Gemm needs 2-D inputs, got \(shapeText(a.shape)) and \(shapeText(b.shape))") }
            let transA = int("transA", default: 0) != 0, transB = int("transB", default: 0) != 0
            let (m, k) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
            let (k2, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
            guard k == k2 else { throw fail("Gemm inner sizes differ: A gives \(k), B \(k2) (A \(shapeText(a.shape)), B \(shapeText(b.shape)))") }
            var c: [Float]?
            if x.count > 2, let ct = x[2] {
                guard broadcastShape(ct.shape, [m, n]) == [m, n] else { throw fail("Gemm C \(shapeText(ct.shape)) does not broadcast to [\(m), \(n)]") }
                let idx = Kernels.broadcastIndex(ct.shape, to: [m, n])
                c = idx.map { ct.data[$0] }
            }
            // GEMMPlan packs op(B)ᵀ only for alpha 1 and A as it is.
            if x.count > Node.packedInput, let packed = x[Node.packedInput] {
                return [Kernels.gemm(a, packedTransposedB: packed, n: n, c: c, beta: float("beta", default: 1))]
            }
            return [Kernels.gemm(a, b, c: c, transA: transA, transB: transB, alpha: float("alpha", default: 1), beta: float("beta", default: 1))]
        case .batchNormalization:
            var a = try owned(0)
            let (s, bias, mean, variance) = (try input(1), try input(2), try input(3), try input(4))
            guard a.rank >= 2 else { throw fail("BatchNormalization needs N×C… input, got \(shapeText(a.shape))") }
            let c = a.shape[1]
            guard [s, bias, mean, variance].allSatisfy({ $0.count == c }) else {
                throw fail("BatchNormalization parameters must hold \(c) values (one per channel)")
            }
            let (scale, shift) = batchNormAffine(scale: s.data, bias: bias.data, mean: mean.data, variance: variance.data, epsilon: float("epsilon", default: 1e-5))
            Kernels.channelAffine(&a, ChannelAffine(scale: scale, shift: shift), relu: reluAfter)
            return [a]
        case .conv:
            // A Conv that took the Concat before it (see `Fusion`) reads that Concat's parts.
            let parts = readsParts ? try (Node.partsInput..<x.count).map { try input($0) } : []
            let shape = readsParts ? try joinedShape(parts, axis: 1, affine: partsAffine, model: model).shape : try input(0).shape
            let w = try input(1)
            guard shape.count == 4, w.rank == 4 else { throw fail("only 2-D convolution (N×C×H×W input, 4-D weight) is run; got \(shapeText(shape)) and weight \(shapeText(w.shape))") }
            let groups = int("group", default: 1)
            guard groups >= 1, shape[1] % groups == 0, w.shape[0] % groups == 0, w.shape[1] * groups == shape[1] else {
                throw fail("input has \(shape[1]) channels, weight \(shapeText(w.shape)) with group \(groups) expects \(w.shape[1] * groups)")
            }
            if let ks = ints("kernel_shape"), ks != Array(w.shape[2...]) {
                throw fail("kernel_shape \(shapeText(ks)) differs from the weight's \(shapeText(Array(w.shape[2...])))")
            }
            var b: Tensor?
            if x.count > 2, let bt = x[2] {
                guard bt.count == w.shape[0] else { throw fail("bias has \(bt.count) values for \(w.shape[0]) output channels") }
                b = bt
            }
            let g = try window(input: shape, kernel: (w.shape[2], w.shape[3]), model: model)
            // WinogradPlan hands a transformed bank (input 4) only to 3×3, stride-1, one-group convolutions.
            var residual = x.count > Node.residualInput ? x[Node.residualInput].take() : nil
            let packed = x.count > Node.packedInput ? x[Node.packedInput] : nil
            if readsParts {
                // Fusion gives a Concat only to a Conv whose weights GEMMPlan packs.
                guard let packed else { preconditionFailure("\(label) reads a Concat's parts without packed weights") }
                return [Kernels.conv1x1(parts: parts, affine: partsAffine, relu: partsRelu, packed: packed, outChannels: w.shape[0], bias: b, reluAfter: reluAfter)]
            }
            let a = try input(0)
            let outShape = [shape[0], w.shape[0], g.outH, g.outW]
            // Kira's own SGEMM stores onto a residual of the output's shape; any other residual is
            // added after, as the Add that Fusion took would have.
            if let packed, residual?.shape == outShape, let r = residual.take() {
                return [Kernels.conv2d(a, weight: w, packed: packed, bias: b, window: g, groups: groups, relu: reluAfter, onto: consume r)]
            }
            let relu = reluAfter && residual == nil
            var y: Tensor
            if x.count > Node.winogradInput, let u = x[Node.winogradInput] {
                y = Kernels.conv3x3Winograd(a, filter: u, outChannels: w.shape[0], bias: b, window: g, relu: relu)
            } else {
                y = Kernels.conv2d(a, weight: w, packed: packed, bias: b, window: g, groups: groups, relu: relu)
            }
            if let r = residual { try add(&y, r) }
            return [y]
        case .maxPool, .averagePool:
            let a = try input(0)
            guard a.rank == 4 else { throw fail("only 2-D pooling (N×C×H×W) is run; got \(shapeText(a.shape))") }
            guard outputs.count == 1 || outputs[1].isEmpty else { throw DeepError.unsupported(model: model, node: label, reason: "MaxPool's Indices output") }
            guard let ks = ints("kernel_shape"), ks.count == 2 else { throw fail("kernel_shape must list 2 sizes") }
            let g = try window(input: a.shape, kernel: (ks[0], ks[1]), model: model)
            return [Kernels.pool2d(a, window: g, max: op == .maxPool, countPad: int("count_include_pad", default: 0) != 0)]
        case .pad:
            return [try pad(try input(0), x, model: model)]
        }
    }

    /// The shape of `parts` joined along `given` (returned counted from the front), after
    /// checking that they agree off that axis and that a normalisation applied on the way has
    /// one value per channel.
    func joinedShape(_ parts: [Tensor], axis given: Int, affine: ChannelAffine?, model: String) throws -> (shape: [Int], axis: Int) {
        func fail(_ reason: String) -> DeepError { .shapeMismatch(model: model, node: label, reason: reason) }
        let r = parts[0].rank
        let axis = given < 0 ? given + r : given
        guard axis >= 0 && axis < r else { throw fail("Concat axis \(given) outside rank \(r)") }
        for p in parts {
            var a = p.shape, b = parts[0].shape
            guard a.count == r else { throw fail("Concat inputs of ranks \(r) and \(a.count)") }
            a[axis] = 0; b[axis] = 0
            guard a == b else { throw fail("Concat inputs \(shapeText(parts[0].shape)) and \(shapeText(p.shape)) differ off axis \(axis)") }
        }
        var shape = parts[0].shape
        shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        if let affine, affine.scale.count != shape[1] {
            throw fail("BatchNormalization parameters hold \(affine.scale.count) values for \(shape[1]) channels")
        }
        return (shape, axis)
    }

    /// Output size and padding of a 2-D window from strides, dilations, pads or auto_pad
    /// and, for pooling, ceil_mode.
    func window(input shape: [Int], kernel: (Int, Int), model: String) throws -> Window2D {
        func fail(_ reason: String) -> DeepError { .shapeMismatch(model: model, node: label, reason: reason) }
        let strides = ints("strides") ?? [1, 1]
        let dilations = ints("dilations") ?? [1, 1]
        var pads = ints("pads") ?? [0, 0, 0, 0]
        guard strides.count == 2, dilations.count == 2, pads.count == 4, strides.allSatisfy({ $0 >= 1 }), dilations.allSatisfy({ $0 >= 1 }), pads.allSatisfy({ $0 >= 0 }) else {
            throw fail("strides, dilations (2 values ≥ 1) and pads (4 values ≥ 0) expected for a 2-D window")
        }
        let ceil = int("ceil_mode", default: 0) != 0
        let inSize = [shape[2], shape[3]], k = [kernel.0, kernel.1]
        var out = [0, 0]
        let autoPad = string("auto_pad", default: "NOTSET")
        for d in 0..<2 {
            let extent = (k[d] - 1) * dilations[d] + 1
            switch autoPad {
            case "SAME_UPPER", "SAME_LOWER":
                out[d] = (inSize[d] + strides[d] - 1) / strides[d]
                let total = max(0, (out[d] - 1) * strides[d] + extent - inSize[d])
                let small = total / 2, large = total - small
                (pads[d], pads[d + 2]) = autoPad == "SAME_UPPER" ? (small, large) : (large, small)
            case "VALID":
                pads[d] = 0; pads[d + 2] = 0
                out[d] = (inSize[d] - extent) / strides[d] + 1
            case "NOTSET":
                let span = inSize[d] + pads[d] + pads[d + 2] - extent
                guard span >= 0 else { throw fail("window of \(extent) does not fit the padded input \(inSize[d] + pads[d] + pads[d + 2]) on axis \(d + 2)") }
                out[d] = (ceil ? (span + strides[d] - 1) / strides[d] : span / strides[d]) + 1
                // A last window that would start inside the end padding is dropped (ceil_mode).
                if ceil && (out[d] - 1) * strides[d] >= inSize[d] + pads[d] { out[d] -= 1 }
            default:
                throw DeepError.unsupported(model: model, node: label, reason: "auto_pad '\(autoPad)'")
            }
            guard out[d] >= 1 else { throw fail("input \(shapeText(shape)) is smaller than the \(extent)-wide window on axis \(d + 2)") }
        }
        return Window2D(kernel: kernel, strides: (strides[0], strides[1]), dilations: (dilations[0], dilations[1]),
                        pads: (pads[0], pads[1], pads[2], pads[3]), outH: out[0], outW: out[1])
    }

    func constantValue(model: String) throws -> Tensor {
        switch attributes["value"] ?? attributes["value_float"] ?? attributes["value_floats"] ?? attributes["value_int"] ?? attributes["value_ints"] {
        case let .tensor(t)?: return t
        case let .float(v)?: return Tensor(shape: [], data: [v])
        case let .floats(v)?: return Tensor(shape: [v.count], data: v)
        case let .int(v)?: return Tensor(shape: [], ints: [Int64(v)])
        case let .ints(v)?: return Tensor(shape: [v.count], ints: v.map(Int64.init))
        default: throw DeepError.unsupported(model: model, node: label, reason: "Constant without a value, value_float(s) or value_int(s) attribute")
        }
    }

    func pad(_ a: Tensor, _ x: [Tensor?], model: String) throws -> Tensor {
        func fail(_ reason: String) -> DeepError { .shapeMismatch(model: model, node: label, reason: reason) }
        let pads: [Int]
        var value = float("value", default: 0)
        if let p = ints("pads") {
            pads = p
        } else {
            guard x.count > 1, let p = x[1] else { throw fail("Pad has no pads input") }
            pads = p.integerValues
            if x.count > 2, let v = x[2] {
                guard v.count == 1 else { throw fail("Pad's constant_value must be a scalar") }
                value = v.data[0]
            }
            if x.count > 3, x[3] != nil { throw DeepError.unsupported(model: model, node: label, reason: "Pad's axes input") }
        }
        guard pads.count == 2 * a.rank else { throw fail("pads has \(pads.count) values for a rank-\(a.rank) input (needs \(2 * a.rank))") }
        let mode = string("mode", default: "constant")
        guard ["constant", "reflect", "edge"].contains(mode) else { throw DeepError.unsupported(model: model, node: label, reason: "Pad mode '\(mode)'") }
        let begins = Array(pads.prefix(a.rank)), ends = Array(pads.suffix(a.rank))
        for d in 0..<a.rank {
            guard a.shape[d] + begins[d] + ends[d] >= 0 else { throw fail("pads crop axis \(d) below zero") }
            if mode == "reflect", begins[d] >= a.shape[d] || ends[d] >= a.shape[d], begins[d] > 0 || ends[d] > 0 {
                throw fail("reflect pads of axis \(d) must be smaller than its size \(a.shape[d])")
            }
            if mode != "constant", a.shape[d] == 0, begins[d] > 0 || ends[d] > 0 { throw fail("cannot \(mode)-pad the empty axis \(d)") }
        }
        // torchvision's DenseNet export puts a Pad of zeros before each transition's pooling.
        if pads.allSatisfy({ $0 == 0 }) { return a }
        return Kernels.pad(a, begins: begins, ends: ends, mode: mode, value: value)
    }
}

/// NumPy broadcasting of two shapes, nil when they do not broadcast.
func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let r = max(a.count, b.count)
    let pa = Array(repeating: 1, count: r - a.count) + a, pb = Array(repeating: 1, count: r - b.count) + b
    var out: [Int] = []
    for (x, y) in zip(pa, pb) {
        if x == y || y == 1 { out.append(x) } else if x == 1 { out.append(y) } else { return nil }
    }
    return out
}

/// Inference batch normalisation as y = scale'·x + shift', computed in double.
func batchNormAffine(scale: [Float], bias: [Float], mean: [Float], variance: [Float], epsilon: Float) -> ([Float], [Float]) {
    var a = [Float](), b = [Float]()
    for c in 0..<scale.count {
        let s = Double(scale[c]) / (Double(variance[c]) + Double(epsilon)).squareRoot()
        a.append(Float(s))
        b.append(Float(Double(bias[c]) - Double(mean[c]) * s))
    }
    return (a, b)
}
