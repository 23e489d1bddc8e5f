import Foundation
import KiraCore
import KiraDICOM
import Testing

/// The rasterising rule on polygons whose answer is known by hand: voxel centres inside by
/// even–odd, centres on an edge owned by the polygon lying towards higher indices.
@Suite struct RTStructRasteriserTests {
    static func roi(_ contours: [[SIMD3<Double>]]) -> RTStructROI {
        RTStructROI(number: 1, name: "r", contours: contours, nonClosedContours: 0)
    }

    /// A square in index space (identity grid) on slice `z`.
    static func square(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, z: Double = 0) -> [SIMD3<Double>] {
        [SIMD3(x0, y0, z), SIMD3(x1, y0, z), SIMD3(x1, y1, z), SIMD3(x0, y1, z)]
    }

    static func inside(_ contours: [[SIMD3<Double>]], _ g: Geometry) throws -> Set<SIMD3<Int>> {
        let m = RTStructRasteriser.rasterise(try RTStructRasteriser.slicePolygons(roi(contours), on: g, path: "t"), size: g.size)
        var out = Set<SIMD3<Int>>()
        for k in 0..<g.size.z { for j in 0..<g.size.y { for i in 0..<g.size.x where m[(k * g.size.y + j) * g.size.x + i] == 1 { out.insert([i, j, k]) } } }
        return out
    }

    static func box(_ i: ClosedRange<Int>, _ j: ClosedRange<Int>, k: Int = 0) -> Set<SIMD3<Int>> {
        Set(i.flatMap { a in j.map { b in SIMD3(a, b, k) } })
    }

    @Test func centresOnLowEdgesAreInsideOnHighEdgesOutside() throws {
        let g = Geometry(size: [6, 6, 1])
        // Edges through the centres of columns 1 and 4 and rows 1 and 4.
        #expect(try Self.inside([Self.square(1, 1, 4, 4)], g) == Self.box(1...3, 1...3))
        // Clockwise order gives the same voxels: the rule does not depend on orientation.
        #expect(try Self.inside([Self.square(1, 1, 4, 4).reversed()], g) == Self.box(1...3, 1...3))
    }

    @Test func nestedContoursAreHolesAndIslandsByEvenOdd() throws {
        let g = Geometry(size: [7, 7, 1])
        let outer = Self.square(0.5, 0.5, 5.5, 5.5), hole = Self.square(1.5, 1.5, 3.5, 3.5), island = Self.square(1.9, 1.9, 2.1, 2.1)
        #expect(try Self.inside([outer], g).count == 25)
        #expect(try Self.inside([outer, hole], g) == Self.box(1...5, 1...5).subtracting(Self.box(2...3, 2...3)))
        #expect(try Self.inside([outer, hole, island], g) == Self.box(1...5, 1...5).subtracting(Self.box(2...3, 2...3)).union([[2, 2, 0]]))
    }

    @Test func neighboursSharingAnEdgeSplitItsCentresWithoutOverlap() throws {
        let g = Geometry(size: [5, 5, 1])
        let left = try Self.inside([Self.square(0.5, 0.5, 2, 3.5)], g)
        let right = try Self.inside([Self.square(2, 0.5, 3.5, 3.5)], g)
        #expect(left.isDisjoint(with: right))
        #expect(left.union(right) == Self.box(1...3, 1...3))
        #expect(right == Self.box(2...3, 1...3))
    }

    @Test func patientCoordinatesMapThroughTheGrid() throws {
        // 0.5 mm columns, 0.25 mm rows, 2 mm slices, rows along −y (a flipped direction).
        let g = Geometry(size: [8, 8, 4], spacing: [0.5, 0.25, 2], origin: [-10, 5, 3],
                         direction: Matrix3(columns: [1, 0, 0], [0, -1, 0], [0, 0, -1]))
        // Slice 2 lies at z = 3 − 2·2 = −1; columns 2…4 span x −9.25…−8.25, rows 1…5 y 4.875…3.625.
        let c: [SIMD3<Double>] = [[-9.1, 4.8, -1], [-8.3, 4.8, -1], [-8.3, 3.65, -1], [-9.1, 3.65, -1]]
        #expect(try Self.inside([c], g) == Self.box(2...3, 1...5, k: 2))
        // Off by a third of a slice: refused, not moved to the nearest slice.
        let off = c.map { SIMD3($0.x, $0.y, -1.7) }
        #expect(throws: KiraError.self) { try Self.inside([off], g) }
        let outside = c.map { SIMD3($0.x, $0.y, 9) }
        #expect(throws: KiraError.self) { try Self.inside([outside], g) }
    }
}
