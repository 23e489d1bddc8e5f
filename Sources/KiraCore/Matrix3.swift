/// A 3×3 matrix stored by columns; small enough to stay a value type with no heap storage.
public struct Matrix3: Sendable, Equatable, Codable {
    public var c0: SIMD3<Double>
    public var c1: SIMD3<Double>
    public var c2: SIMD3<Double>

    public init(columns c0: SIMD3<Double>, _ c1: SIMD3<Double>, _ c2: SIMD3<Double>) {
        self.c0 = c0; self.c1 = c1; self.c2 = c2
    }

    public static let identity = Matrix3(columns: [1, 0, 0], [0, 1, 0], [0, 0, 1])

    public var columns: [SIMD3<Double>] { [c0, c1, c2] }

    public func row(_ i: Int) -> SIMD3<Double> { SIMD3(c0[i], c1[i], c2[i]) }

    public subscript(row: Int, column: Int) -> Double {
        get { columns[column][row] }
        set {
            switch column {
            case 0: c0[row] = newValue
            case 1: c1[row] = newValue
            default: c2[row] = newValue
            }
        }
    }

    public static func * (m: Matrix3, v: SIMD3<Double>) -> SIMD3<Double> {
        m.c0 * v.x + m.c1 * v.y + m.c2 * v.z
    }

    public static func * (a: Matrix3, b: Matrix3) -> Matrix3 {
        Matrix3(columns: a * b.c0, a * b.c1, a * b.c2)
    }

    public var transposed: Matrix3 { Matrix3(columns: row(0), row(1), row(2)) }

    public var determinant: Double {
        (c0 * cross(c1, c2)).sum()
    }

    /// The inverse by cofactors; nil for a singular matrix.
    public var inverse: Matrix3? {
        let det = determinant
        guard abs(det) > 1e-12 else { return nil }
        let r0 = cross(c1, c2) / det
        let r1 = cross(c2, c0) / det
        let r2 = cross(c0, c1) / det
        return Matrix3(columns: r0, r1, r2).transposed
    }
}

@inlinable
public func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}

@inlinable
public func dot(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Double { (a * b).sum() }

@inlinable
public func norm(_ a: SIMD3<Double>) -> Double { dot(a, a).squareRoot() }
