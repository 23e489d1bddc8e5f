/// A dense row-major matrix of cases × features: the one numeric layout every step and
/// model works on, so hot loops run over one contiguous `[Double]`.
public struct Matrix: Sendable, Codable, Equatable {
    public let rows: Int
    public let cols: Int
    public var values: [Double]

    public init(rows: Int, cols: Int, repeating value: Double = 0) {
        self.rows = rows
        self.cols = cols
        values = Array(repeating: value, count: rows * cols)
    }

    public init(rows: Int, cols: Int, values: [Double]) {
        precondition(values.count == rows * cols, "Matrix: \(values.count) values for \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.values = values
    }

    /// Rows of equal length; an empty list gives a 0 × 0 matrix.
    public init(_ rowArrays: [[Double]]) {
        let c = rowArrays.first?.count ?? 0
        precondition(rowArrays.allSatisfy { $0.count == c }, "Matrix: rows of unequal length")
        self.init(rows: rowArrays.count, cols: c, values: rowArrays.flatMap { $0 })
    }

    @inline(__always) public subscript(r: Int, c: Int) -> Double {
        get { values[r * cols + c] }
        set { values[r * cols + c] = newValue }
    }

    public func row(_ r: Int) -> ArraySlice<Double> { values[(r * cols)..<((r + 1) * cols)] }

    public func column(_ c: Int) -> [Double] {
        var out = [Double](repeating: 0, count: rows)
        values.withUnsafeBufferPointer { v in
            for r in 0..<rows { out[r] = v[r * cols + c] }
        }
        return out
    }

    public func selecting(rows idx: [Int]) -> Matrix {
        var out = [Double]()
        out.reserveCapacity(idx.count * cols)
        for r in idx { out.append(contentsOf: row(r)) }
        return Matrix(rows: idx.count, cols: cols, values: out)
    }

    public func selecting(columns idx: [Int]) -> Matrix {
        var out = [Double](repeating: 0, count: rows * idx.count)
        values.withUnsafeBufferPointer { v in
            for r in 0..<rows {
                let base = r * cols, ob = r * idx.count
                for (j, c) in idx.enumerated() { out[ob + j] = v[base + c] }
            }
        }
        return Matrix(rows: rows, cols: idx.count, values: out)
    }

    public var transposed: Matrix {
        var out = [Double](repeating: 0, count: rows * cols)
        for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = values[r * cols + c] } }
        return Matrix(rows: cols, cols: rows, values: out)
    }
}

/// A feature matrix with its column names and, for training, binary labels (true = positive).
/// Every step and model receives one of these built from training rows only.
public struct LabeledData: Sendable {
    public var ids: [String]
    public var featureNames: [String]
    public var x: Matrix
    public var y: [Bool]

    public init(ids: [String], featureNames: [String], x: Matrix, y: [Bool]) {
        precondition(x.rows == y.count && x.rows == ids.count && x.cols == featureNames.count)
        self.ids = ids
        self.featureNames = featureNames
        self.x = x
        self.y = y
    }

    public var count: Int { y.count }
    public var positives: Int { y.reduce(0) { $0 + ($1 ? 1 : 0) } }

    public func subset(_ rows: [Int]) -> LabeledData {
        LabeledData(ids: rows.map { ids[$0] }, featureNames: featureNames, x: x.selecting(rows: rows),
                    y: rows.map { y[$0] })
    }
}
