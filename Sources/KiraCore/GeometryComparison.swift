import Foundation

/// How close two grids must be to count as the same grid.
public struct GeometryTolerance: Sendable {
    /// Largest allowed distance between origins, in mm.
    public var origin: Double
    /// Largest allowed relative difference of any spacing.
    public var relativeSpacing: Double
    /// Largest allowed angle between matching axes, in degrees.
    public var angleDegrees: Double

    public init(origin: Double = 1e-3, relativeSpacing: Double = 1e-4, angleDegrees: Double = 1e-3) {
        self.origin = origin
        self.relativeSpacing = relativeSpacing
        self.angleDegrees = angleDegrees
    }

    public static let standard = GeometryTolerance()
}

/// One way in which two grids differ, with the amount.
public enum GeometryDifference: Sendable, Equatable, CustomStringConvertible {
    case size(SIMD3<Int>, SIMD3<Int>)
    case spacing(SIMD3<Double>, SIMD3<Double>)
    case origin(distance: Double)
    case direction(axis: Int, degrees: Double)

    public var description: String {
        switch self {
        case let .size(a, b):
            return "size \(a.x)×\(a.y)×\(a.z) vs \(b.x)×\(b.y)×\(b.z)"
        case let .spacing(a, b):
            return "spacing \(fmt(a)) mm vs \(fmt(b)) mm"
        case let .origin(d):
            return "origin differs by \(String(format: "%.4g", d)) mm"
        case let .direction(axis, deg):
            return "direction of axis \(["i", "j", "k"][axis]) differs by \(String(format: "%.4g", deg))°"
        }
    }

    private func fmt(_ v: SIMD3<Double>) -> String {
        "(" + [v.x, v.y, v.z].map { String(format: "%.6g", $0) }.joined(separator: ", ") + ")"
    }
}

extension Geometry {
    /// Every difference between this grid and another beyond the tolerance; empty when they match.
    public func differences(from other: Geometry, tolerance: GeometryTolerance = .standard) -> [GeometryDifference] {
        var out: [GeometryDifference] = []
        if size != other.size { out.append(.size(size, other.size)) }
        let spacingOff = (0..<3).contains { a in
            abs(spacing[a] - other.spacing[a]) > tolerance.relativeSpacing * max(abs(spacing[a]), abs(other.spacing[a]))
        }
        if spacingOff { out.append(.spacing(spacing, other.spacing)) }
        let d = norm(origin - other.origin)
        if d > tolerance.origin { out.append(.origin(distance: d)) }
        for (a, (u, v)) in zip(direction.columns, other.direction.columns).enumerated() {
            let c = max(-1, min(1, dot(u, v) / max(norm(u) * norm(v), .leastNormalMagnitude)))
            let deg = acos(c) * 180 / .pi
            if deg > tolerance.angleDegrees { out.append(.direction(axis: a, degrees: deg)) }
        }
        return out
    }

    public func matches(_ other: Geometry, tolerance: GeometryTolerance = .standard) -> Bool {
        differences(from: other, tolerance: tolerance).isEmpty
    }
}
