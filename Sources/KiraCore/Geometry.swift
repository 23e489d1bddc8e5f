import Foundation

/// Where a voxel grid sits in patient space, in DICOM/ITK LPS coordinates.
///
/// `direction` holds the unit vectors of the i, j, k axes as its columns, so
/// `physical = origin + direction * (spacing ⊙ index)`.
public struct Geometry: Sendable, Equatable, Codable {
    public var size: SIMD3<Int>
    public var spacing: SIMD3<Double>
    public var origin: SIMD3<Double>
    public var direction: Matrix3

    public init(size: SIMD3<Int>, spacing: SIMD3<Double> = [1, 1, 1],
                origin: SIMD3<Double> = [0, 0, 0], direction: Matrix3 = .identity) {
        self.size = size
        self.spacing = spacing
        self.origin = origin
        self.direction = direction
    }

    public var voxelCount: Int { size.x * size.y * size.z }

    /// The 3×3 linear part of index → physical (direction scaled by spacing).
    public var indexToPhysicalMatrix: Matrix3 {
        Matrix3(columns: direction.c0 * spacing.x, direction.c1 * spacing.y, direction.c2 * spacing.z)
    }

    public func physicalPoint(index: SIMD3<Double>) -> SIMD3<Double> {
        origin + indexToPhysicalMatrix * index
    }

    public func physicalPoint(index: SIMD3<Int>) -> SIMD3<Double> {
        physicalPoint(index: SIMD3<Double>(Double(index.x), Double(index.y), Double(index.z)))
    }

    /// Continuous index of a physical point; nil when the grid is degenerate.
    public func continuousIndex(physical p: SIMD3<Double>) -> SIMD3<Double>? {
        guard let inv = indexToPhysicalMatrix.inverse else { return nil }
        return inv * (p - origin)
    }

    /// Row-major 4×4 voxel → world affine in LPS (ITK convention).
    public var affineLPS: [[Double]] {
        let m = indexToPhysicalMatrix
        return (0..<3).map { r in [m[r, 0], m[r, 1], m[r, 2], origin[r]] } + [[0, 0, 0, 1]]
    }

    /// Row-major 4×4 voxel → world affine in RAS (NIfTI convention): LPS with x and y negated.
    public var affineRAS: [[Double]] {
        var a = affineLPS
        for c in 0..<4 { a[0][c] = -a[0][c]; a[1][c] = -a[1][c] }
        return a
    }

    /// Problems that make the grid unusable (non-positive spacing or size, a singular direction).
    public func validationErrors() -> [String] {
        var errors: [String] = []
        for a in 0..<3 where !(spacing[a] > 0) || !spacing[a].isFinite {
            errors.append("spacing along axis \(a) is \(spacing[a]); it must be positive")
        }
        for a in 0..<3 where size[a] < 1 {
            errors.append("size along axis \(a) is \(size[a]); it must be at least 1")
        }
        if abs(direction.determinant) < 1e-6 {
            errors.append("direction cosines are degenerate (determinant \(direction.determinant))")
        }
        return errors
    }
}
