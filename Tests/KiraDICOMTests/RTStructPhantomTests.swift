import Foundation
import KiraCore
import KiraDICOM
import KiraIO
import KiraTestSupport
import Testing

/// The IBSI CT phantom's RT Structure Set rasterised onto its CT series, against the NIfTI
/// mask the IBSI made of the same ROI.
@Suite struct RTStructPhantomTests {
    static let rtstruct = TestPaths.reference("ibsi/ct_phantom/dicom/mask/DCM_RS_00060.dcm")
    static let niftiMask = TestPaths.reference("ibsi/ct_phantom/nifti/mask/mask.nii.gz")

    /// True when the segment a–b passes through the unit square centred on c (Liang–Barsky clipping).
    static func crosses(_ a: SIMD2<Double>, _ b: SIMD2<Double>, square c: SIMD2<Double>) -> Bool {
        var t0 = 0.0, t1 = 1.0
        let d = b - a
        for (p, q) in [(-d.x, a.x - (c.x - 0.5)), (d.x, (c.x + 0.5) - a.x), (-d.y, a.y - (c.y - 0.5)), (d.y, (c.y + 0.5) - a.y)] {
            if p == 0 { if q < 0 { return false }; continue }
            let r = q / p
            if p < 0 { t0 = max(t0, r) } else { t1 = min(t1, r) }
            if t0 > t1 { return false }
        }
        return true
    }

    @Test(.enabled(if: TestPaths.referenceAvailable, referenceMissing))
    func rasterisedROIEqualsTheNIfTIMask() throws {
        let rt = try RTStructFile(url: Self.rtstruct)
        #expect(rt.rois.map(\.name) == ["GTV-1"])
        let mask = try RTStructMask.read(Self.rtstruct, roi: "GTV-1", searchIn: [], logger: testLogger)
        let ref = try NIfTIReader.read(Self.niftiMask)
        #expect(mask.geometry.differences(from: ref.geometry, tolerance: .standard).isEmpty)
        #expect(mask.geometry.size == [204, 201, 60])
        let slices = try RTStructRasteriser.slicePolygons(try rt.roi(named: "GTV-1"), on: mask.geometry, path: "rt")
        #expect(slices.count == 26)
        var both = 0, onlyOurs = 0, onlyRef = 0, offBoundary = 0
        let g = mask.geometry
        for idx in 0..<mask.voxels.count {
            let a = mask.voxels[idx] != 0, b = ref.voxels[idx] != 0
            if a && b { both += 1 }
            guard a != b else { continue }
            if a { onlyOurs += 1 } else { onlyRef += 1 }
            let i = idx % g.size.x, j = (idx / g.size.x) % g.size.y, k = idx / (g.size.x * g.size.y)
            let centre = SIMD2(Double(i), Double(j))
            let onEdge = (slices[k] ?? []).contains { poly in
                poly.indices.contains { n in Self.crosses(poly[n], poly[(n + 1) % poly.count], square: centre) }
            }
            if !onEdge { offBoundary += 1 }
        }
        print("IBSI CT phantom RTSTRUCT vs NIfTI mask: \(both) voxels in both, \(onlyOurs) only rasterised, \(onlyRef) only NIfTI, \(offBoundary) differing off the contour")
        #expect(both == 125_256)
        #expect(onlyOurs == 0 && onlyRef == 0)
        #expect(offBoundary == 0)
        #expect(mask.metadata["MaskVoxelCount"] == .integer(125_256))
    }

    @Test(.enabled(if: TestPaths.referenceAvailable, referenceMissing))
    func missingROINameListsTheNamesPresent() throws {
        #expect {
            _ = try RTStructMask.read(Self.rtstruct, roi: "PTV", searchIn: [], logger: testLogger)
        } throws: { error in
            "\(error)".contains("no ROI named \"PTV\"; ROIs present: \"GTV-1\"")
        }
    }

    @Test(.enabled(if: TestPaths.referenceAvailable, referenceMissing))
    func missingReferencedSeriesIsNamed() throws {
        let dir = try TestPaths.temporaryDirectory("kira-rtstruct-alone")
        defer { try? FileManager.default.removeItem(at: dir) }
        let sub = dir.appendingPathComponent("rt")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        let copy = sub.appendingPathComponent("rs.dcm")
        try FileManager.default.copyItem(at: Self.rtstruct, to: copy)
        #expect {
            _ = try RTStructMask.read(copy, roi: nil, searchIn: [], logger: testLogger)
        } throws: { error in
            let s = "\(error)"
            return s.contains("rs.dcm") && s.contains("1.3.6.1.4.1.9590.100.1.2.296658988911737913102339329841519593982") && s.contains("is not among the DICOM files under")
        }
    }
}
