import KiraCore

/// A step fitted on training rows: a column subset, then an optional fill, affine map or
/// projection. Applying it never looks at the rows it transforms beyond each row itself.
public struct FittedStep: Sendable, Codable, Equatable {
    public var kind: StepSpec.Kind
    /// Input columns kept (nil: all).
    public var keep: [Int]?
    /// Per-column fill for missing values.
    public var fill: [Double]?
    /// x' = (x − center) / scale, per column.
    public var center: [Double]?
    public var scale: [Double]?
    /// Projection: rows are components (output = (x − center) · componentsᵀ).
    public var components: Matrix?
    public var outputNames: [String]
    /// Set when a selection step's rule kept no feature and the most relevant one was kept
    /// instead, so the user is told rather than handed a model of an arbitrary feature.
    public var fallback: String?

    public func apply(_ x: Matrix) -> Matrix {
        var m = keep.map { x.selecting(columns: $0) } ?? x
        let p = m.cols
        if let fill {
            m.values.withUnsafeMutableBufferPointer { v in
                for i in 0..<m.rows { for j in 0..<p where v[i * p + j].isNaN { v[i * p + j] = fill[j] } }
            }
        }
        if let components, let center {
            var out = Matrix(rows: m.rows, cols: components.rows)
            for i in 0..<m.rows {
                for c in 0..<components.rows {
                    var s = 0.0
                    for j in 0..<p { s += (m[i, j] - center[j]) * components[c, j] }
                    out[i, c] = s
                }
            }
            return out
        }
        if let center, let scale {
            m.values.withUnsafeMutableBufferPointer { v in
                for i in 0..<m.rows { for j in 0..<p { v[i * p + j] = (v[i * p + j] - center[j]) / scale[j] } }
            }
        }
        return m
    }
}
