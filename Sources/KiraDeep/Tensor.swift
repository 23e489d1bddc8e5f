/// A dense row-major (C order) float32 tensor, the only element type the networks compute
/// in. Integer inputs that only steer an operator (Pad's pads) are kept beside it as `ints`.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Float]
    /// Exact int64 values for tensors stored as INT64 (shapes, pads); nil for float data.
    public var ints: [Int64]?

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "tensor shape \(shape) does not hold \(data.count) values")
        self.shape = shape
        self.data = data
        ints = nil
    }

    public init(shape: [Int], ints: [Int64]) {
        precondition(shape.reduce(1, *) == ints.count, "tensor shape \(shape) does not hold \(ints.count) values")
        self.shape = shape
        self.ints = ints
        data = ints.map { Float($0) }
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }

    /// The tensor's values as integers (int64 storage, or whole floats).
    public var integerValues: [Int] { ints.map { $0.map { Int($0) } } ?? data.map { Int($0) } }

    /// Sample `i` along the first axis, keeping that axis with length 1.
    public func sample(_ i: Int) -> Tensor {
        let per = shape.dropFirst().reduce(1, *)
        return Tensor(shape: [1] + shape.dropFirst(), data: Array(data[(i * per)..<((i + 1) * per)]))
    }

    /// Tensors of equal trailing shape stacked along the first axis.
    public static func stack(_ parts: [Tensor]) -> Tensor {
        guard let first = parts.first else { return Tensor(zeros: [0]) }
        let rows = parts.reduce(0) { $0 + $1.shape[0] }
        var data: [Float] = []
        data.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for p in parts { data += p.data }
        return Tensor(shape: [rows] + first.shape.dropFirst(), data: data)
    }
}

func shapeText(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
