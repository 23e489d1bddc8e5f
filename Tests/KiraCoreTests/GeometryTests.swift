import Foundation
import KiraCore
import Testing

@Suite struct GeometryTests {
    /// An oblique, anisotropic grid: 30° about z, spacing (0.7, 0.9, 2.5).
    static let oblique: Geometry = {
        let a = 30.0 * .pi / 180
        let d = Matrix3(columns: [cos(a), sin(a), 0], [-sin(a), cos(a), 0], [0, 0, 1])
        return Geometry(size: [10, 8, 5], spacing: [0.7, 0.9, 2.5], origin: [-12.5, 40, 7], direction: d)
    }()

    @Test(arguments: [SIMD3<Double>(0, 0, 0), [9, 7, 4], [3.25, -1.5, 2.75]])
    func indexPhysicalRoundTrip(index: SIMD3<Double>) throws {
        let g = Self.oblique
        let p = g.physicalPoint(index: index)
        let back = try #require(g.continuousIndex(physical: p))
        #expect(norm(back - index) < 1e-12)
    }

    @Test func physicalPointMatchesHandComputation() {
        // Index (1, 0, 0) moves 0.7 mm along (cos 30°, sin 30°, 0).
        let p = Self.oblique.physicalPoint(index: SIMD3<Int>(1, 0, 0))
        #expect(abs(p.x - (-12.5 + 0.7 * 0.8660254037844386)) < 1e-12)
        #expect(abs(p.y - (40 + 0.7 * 0.5)) < 1e-12)
        #expect(p.z == 7)
    }

    @Test func differencesNameWhatAndHowMuch() {
        var other = Self.oblique
        other.origin += [0.3, 0.4, 0]  // 0.5 mm away
        other.spacing.z = 3.0
        let b = 2.0 * .pi / 180
        other.direction = other.direction * Matrix3(columns: [1, 0, 0], [0, cos(b), sin(b)], [0, -sin(b), cos(b)])
        let diffs = Self.oblique.differences(from: other)
        #expect(diffs.contains(.origin(distance: 0.5)) || diffs.contains { if case let .origin(d) = $0 { abs(d - 0.5) < 1e-12 } else { false } })
        #expect(diffs.contains(.spacing(Self.oblique.spacing, other.spacing)))
        let angles = diffs.compactMap { if case let .direction(axis, deg) = $0 { (axis, deg) } else { nil } }
        #expect(angles.count == 2)
        for (_, deg) in angles { #expect(abs(deg - 2.0) < 1e-9) }
        #expect(Self.oblique.differences(from: Self.oblique).isEmpty)
    }

    @Test func affineRASNegatesXY() {
        let g = Self.oblique
        let lps = g.affineLPS, ras = g.affineRAS
        for c in 0..<4 {
            #expect(ras[0][c] == -lps[0][c])
            #expect(ras[1][c] == -lps[1][c])
            #expect(ras[2][c] == lps[2][c])
        }
    }

    @Test(arguments: [SIMD3<Double>(0, 1, 1), [1, -2, 1], [1, 1, .nan]])
    func invalidSpacingIsReported(spacing: SIMD3<Double>) {
        let g = Geometry(size: [2, 2, 2], spacing: spacing)
        #expect(!g.validationErrors().isEmpty)
    }
}
