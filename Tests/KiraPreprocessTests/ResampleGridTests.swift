import KiraCore
import KiraPreprocess
import Testing

@Suite("Resampled grids")
struct ResampleGridTests {
    /// IBSI configuration C on the CT phantom: 204×201×60 at 0.977×0.977×3 mm → 2 mm gives
    /// 100×99×90 (the reference diagnostics: ceil(204·0.977/2) = 100, ceil(201·0.977/2) = 99, 60·3/2 = 90).
    @Test("IBSI grid sizes round up and the centred grid shares the original centre")
    func ibsiSizes() throws {
        let g = Geometry(size: [204, 201, 60], spacing: [0.977, 0.977, 3.0], origin: [-10, 20, 30],
                         direction: Matrix3(columns: [0, 1, 0], [-1, 0, 0], [0, 0, 1]))
        let c = try ResampleGrid.make(from: g, spacing: [2, 2, 2], policy: .center)
        #expect(c.size == [100, 99, 90])
        let oldCentre = g.physicalPoint(index: SIMD3<Double>(203, 200, 59) * 0.5)
        let newCentre = c.physicalPoint(index: SIMD3<Double>(99, 98, 89) * 0.5)
        #expect(norm(oldCentre - newCentre) < 1e-9)
        let o = try ResampleGrid.make(from: g, spacing: [2, 2, 2], policy: .origin)
        #expect(o.origin == g.origin && o.size == c.size && o.direction == g.direction)
        // Configuration B resamples in-plane only: z keeps 60 slices of 3 mm.
        let b = try ResampleGrid.make(from: g, spacing: [2, 2, 0], policy: .center)
        #expect(b.size == [100, 99, 60] && b.spacing.z == 3)
    }
}

@Suite("Resampled grids within the allocation budget")
struct ResampleGridBudgetTests {
    /// 64×64×32 at 1 mm → 0.01 mm is 6400×6400×3200 = 1.31e11 voxels, 524 GB of Float32: more
    /// than any machine's budget (half its memory).
    @Test("a grid beyond the budget is a tooLarge error naming the source, not a trap")
    func tooLarge() throws {
        let g = Geometry(size: [64, 64, 32], spacing: [1, 1, 1])
        do {
            _ = try ResampleGrid.make(from: g, spacing: [0.01, 0.01, 0.01], policy: .origin, source: "image a.nii")
            Issue.record("no error")
        } catch let KiraError.tooLarge(subject, reason) {
            #expect(subject.hasPrefix("resampled grid of image a.nii"))
            #expect(reason.hasPrefix("6400×6400×3200 = 131072000000 voxels × 4 bytes = 524288000000 bytes"), "\(reason)")
        }
        // A spacing so small that the size does not even fit in an Int.
        #expect(throws: KiraError.self) { try ResampleGrid.make(from: g, spacing: [1e-300, 1, 1], policy: .center) }
        // Within the budget the grid is unchanged by the check.
        #expect(try ResampleGrid.make(from: g, spacing: [0.5, 0.5, 0.5], policy: .origin).size == [128, 128, 64])
    }
}
