import Foundation
import KiraCore
import KiraDICOM
import KiraIO
import KiraTestSupport
import Testing

/// Against dcm2niix's NIfTI for the same input. dcm2niix flips rows, so voxels are
/// matched through world space (VolumeComparison), not by index.
@Suite struct Dcm2niixReferenceTests {
    @Test(.enabled(if: TestPaths.referenceAvailable, referenceMissing), arguments: 1...9)
    func dcmQaTransferSyntax(n: Int) throws {
        let ours = try loadSingleSeries([TestPaths.reference("dicom/dcm_qa_ts/In/\(n).dcm")])
        let ref = try NIfTIReader.read(TestPaths.reference("dicom/dcm_qa_ts/Ref/\(n).nii"))
        #expect(ours.geometry.size == ref.geometry.size)
        let c = VolumeComparison(ours, ref)
        print("dcm_qa_ts \(n): \(c)")
        #expect(c.outside == 0)
        #expect(c.compared == ours.geometry.voxelCount)
        #expect(c.maxPositionError <= 1e-3, "\(c)")
        #expect(c.maxValueDifference == 0, "\(c)")
    }

    /// Siemens XA10 enhanced MR: four files, each one volume of a single series → one 4D image.
    @Test(.enabled(if: TestPaths.referenceAvailable, referenceMissing))
    func siemensEnhancedFourVolumes() throws {
        let ours = try loadSingleSeries([TestPaths.reference("dicom/dcm_qa_enh/In/Siemens/XA10")])
        let ref = try NIfTIReader.read(TestPaths.reference("dicom/dcm_qa_enh/Ref/Siemens_REST1_w_SMS_PF7-8_6.nii"))
        #expect(ours.timepoints == 4)
        #expect(ref.timepoints == 4)
        #expect(ours.geometry.size == ref.geometry.size)
        let c = VolumeComparison(ours, ref)
        print("Siemens XA10: \(c)")
        #expect(c.outside == 0)
        #expect(c.maxPositionError <= 1e-3, "\(c)")
        #expect(c.maxValueDifference == 0, "\(c)")
    }
}

extension Dcm2niixReferenceTests {
    /// Philips field map: magnitude and B0 map share one file and split by ComplexImageComponent.
    @Test(.enabled(if: TestPaths.referenceAvailable, referenceMissing))
    func philipsFieldMapSplitsMagnitudeAndPhase() throws {
        let r = DICOMScanner.scan([TestPaths.reference("dicom/dcm_qa_enh/In/Philips")], options: .init(), logger: testLogger)
        try #require(r.series.count == 2)
        let kinds = r.series.map { $0.summary["ImageKind"]?.stringValue ?? "" }
        let mag = try #require(r.series.first { ($0.summary["ImageKind"]?.stringValue ?? "").contains("MAGNITUDE") }, "\(kinds)")
        let map = try #require(r.series.first { !($0.summary["ImageKind"]?.stringValue ?? "").contains("MAGNITUDE") }, "\(kinds)")
        let m = try mag.load(options: .init(), logger: testLogger)
        let mref = try NIfTIReader.read(TestPaths.reference("dicom/dcm_qa_enh/Ref/Philips_WIP_B0_NS_801_e1.nii"))
        let cm = VolumeComparison(m, mref)
        #expect(cm.outside == 0)
        #expect(cm.maxPositionError <= 1e-3, "\(cm)")
        // dcm2niix writes Philips' private "floating point" magnitude (stored / ScaleSlope
        // (2005,100E) = 8.44864e-06), Kira the standard RescaleSlope value (stored × 1.27985…):
        // the two differ by the factor RescaleSlope × ScaleSlope, which is what is checked.
        let factor = 1.27985347985347 * 8.44864007e-06
        var worst = 0.0
        for z in 0..<m.geometry.size.z {
            for y in 0..<m.geometry.size.y {
                for x in 0..<m.geometry.size.x {
                    let p = m.geometry.physicalPoint(index: SIMD3(x, y, z))
                    let c = mref.geometry.continuousIndex(physical: p)!
                    let r = mref[Int(c.x.rounded()), Int(c.y.rounded()), Int(c.z.rounded()), 0]
                    worst = max(worst, abs(m[x, y, z, 0] / factor - r) / max(1, abs(r)))
                }
            }
        }
        #expect(worst < 1e-5, "relative difference \(worst)")
        let f = try map.load(options: .init(), logger: testLogger)
        let fref = try NIfTIReader.read(TestPaths.reference("dicom/dcm_qa_enh/Ref/Philips_WIP_B0_NS_801_e2_fieldmaphz.nii"))
        let cf = VolumeComparison(f, fref)
        print("Philips magnitude: \(cm); field map: \(cf)")
        #expect(cf.outside == 0)
        #expect(cf.maxPositionError <= 1e-3, "\(cf)")
        // Both apply RescaleSlope 0.2442 / intercept -500 (Hz); NIfTI's float32 scl_slope
        // leaves about 0.006 Hz of rounding at the ends of the ±500 Hz range.
        #expect(cf.maxValueDifference < 0.01, "\(cf)")
    }
}
