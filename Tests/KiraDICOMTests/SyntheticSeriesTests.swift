import Foundation
import KiraCore
import KiraDICOM
import KiraIO
import KiraTestSupport
import Testing

/// Series written by TestData/scripts/make-dicom-testdata.py with dcmtk's dump2dcm; the
/// expected geometry and voxel values below are the ones that script writes.
@Suite struct SyntheticSeriesTests {
    static func folder(_ name: String) -> URL { TestPaths.testData("dicom/" + name) }

    @Test func obliqueAnisotropicStack() throws {
        let v = try loadSingleSeries([Self.folder("oblique_mr")])
        let g = v.geometry
        #expect(g.size == SIMD3(8, 6, 5))
        #expect(v.timepoints == 1)
        #expect(v.voxels.scalarType == .uint16)
        #expect(abs(g.spacing.x - 0.8) < 1e-9 && abs(g.spacing.y - 0.6) < 1e-9)
        #expect(abs(g.spacing.z - 2.5) < 1e-6)
        let a = 20.0 * .pi / 180
        let expected = Matrix3(columns: [1, 0, 0], [0, cos(a), sin(a)], [0, -sin(a), cos(a)])
        for (u, w) in zip(g.direction.columns, expected.columns) { #expect(norm(u - w) < 1e-8) }
        #expect(norm(g.origin - SIMD3(10, -20, 30)) < 1e-6)
        // Voxel (7, 5, 4) sits at origin + R·(7·0.8, 5·0.6, 4·2.5).
        let p = g.physicalPoint(index: SIMD3(7, 5, 4))
        let q = SIMD3<Double>(10, -20, 30) + expected * SIMD3(5.6, 3.0, 10.0)
        #expect(norm(p - q) < 1e-6)
        for z in 0..<5 { for y in 0..<6 { for x in 0..<8 {
            #expect(v[x, y, z, 0] == Double(1000 + 100 * z + 10 * y + x))
        } } }
        #expect(v.metadata["SpacingSource"] == "PixelSpacing")
        #expect(v.metadata["EchoTime"] == .number(0.0045))
        #expect(v.metadata["RepetitionTime"] == .number(0.45))
        #expect(v.metadata["SourceFileCount"] == 5)
        #expect(v.metadata["PatientName"] == nil)
        #expect(v.metadata["PatientID"] == nil)
    }

    @Test func keepPHICopiesIdentity() throws {
        let v = try loadSingleSeries([Self.folder("oblique_mr")], options: .init(keepPHI: true))
        #expect(v.metadata["PatientName"] == "Synthetic^Patient")
        #expect(v.metadata["PatientID"] == "KIRA0001")
    }

    @Test func dynamicSeriesBecomes4DInTimeOrder() throws {
        let v = try loadSingleSeries([Self.folder("dce")])
        #expect(v.geometry.size == SIMD3(4, 4, 3))
        #expect(v.timepoints == 3)
        #expect(abs(v.geometry.spacing.z - 3) < 1e-9)
        for t in 0..<3 { for z in 0..<3 { for y in 0..<4 { for x in 0..<4 {
            #expect(v[x, y, z, t] == Double(100 * t + 10 * z + 4 * y + x))
        } } } }
        #expect(v.metadata["FrameTimes"] == MetaValue([0, 60, 120]))
    }

    @Test func missingSliceIsNamedError() throws {
        let r = DICOMScanner.scan([Self.folder("missing_slice")], options: .init(), logger: testLogger)
        try #require(r.series.count == 1)
        #expect {
            _ = try r.series[0].load(options: .init(), logger: testLogger)
        } throws: { error in
            guard case let KiraError.inconsistentSeries(series, reason) = error else { return false }
            return series.contains(r.series[0].key) && reason.contains("missing slice")
        }
    }

    @Test func unevenGapsWarn() throws {
        let v = try loadSingleSeries([Self.folder("uneven_gaps")])
        #expect(v.geometry.size.z == 5)
        #expect(abs(v.geometry.spacing.z - 2.625) < 1e-9)
        guard case let .array(w)? = v.metadata["Warnings"] else { Issue.record("no Warnings"); return }
        #expect(w.contains { $0.stringValue?.contains("uneven") == true })
    }

    @Test func mixedSizesSplitIntoSeries() throws {
        let r = DICOMScanner.scan([Self.folder("mixed_sizes")], options: .init(), logger: testLogger)
        #expect(r.series.count == 2)
        let sizes = try r.series.map { try $0.load(options: .init(), logger: testLogger).geometry.size }
        #expect(Set(sizes.map { $0.x }) == [4, 5])
        #expect(sizes.allSatisfy { $0.z == 2 })
        #expect(Set(r.series.map(\.key)).count == 2)
    }

    /// im07, the last slice, is 5×5 among 4×4 slices: it is named and left out, and the six
    /// others form one volume (no 1-slice series beside it).
    @Test func oddSizedLastSliceIsExcludedByName() throws {
        let r = DICOMScanner.scan([Self.folder("odd_size_last")], options: .init(), logger: testLogger)
        try #require(r.series.count == 1, "\(r.series.map(\.key))")
        #expect(r.failures.map { URL(fileURLWithPath: $0.file).lastPathComponent } == ["im07.dcm"])
        #expect(r.failures.first?.reason == "series 5 'T2 ax': file im07.dcm is 5×5, the other 6 slices are 4×4; excluded")
        let v = try r.series[0].load(options: .init(), logger: testLogger)
        #expect(v.geometry.size == SIMD3(4, 4, 6))
        #expect(abs(v.geometry.spacing.z - 3) < 1e-9)
        #expect(norm(v.geometry.origin) < 1e-9)
        #expect(v.metadata["Warnings"] == nil)
        for z in 0..<6 { for i in 0..<16 { #expect(v[i % 4, i / 4, z, 0] == Double(100 * z + i)) } }
    }

    /// im05 (z = 12 mm) is 5×5: the hole it leaves splits the 4×4 slices into im01–im04 and
    /// im06–im07; the longer run is the volume and every other file is named.
    @Test func oddSizedMiddleSliceKeepsTheLongestContiguousRun() throws {
        let r = DICOMScanner.scan([Self.folder("odd_size_middle")], options: .init(), logger: testLogger)
        try #require(r.series.count == 1, "\(r.series.map(\.key))")
        let named = Dictionary(uniqueKeysWithValues: r.failures.map { (URL(fileURLWithPath: $0.file).lastPathComponent, $0.reason) })
        #expect(Set(named.keys) == ["im05.dcm", "im06.dcm", "im07.dcm"])
        #expect(named["im05.dcm"] == "series 5 'T2 ax': file im05.dcm is 5×5, the other 6 slices are 4×4; excluded")
        for f in ["im06.dcm", "im07.dcm"] {
            #expect(named[f] == "series 5 'T2 ax': file \(f) lies beyond the hole left by the excluded 5×5 file im05.dcm; excluded (the volume keeps the 4 contiguous slices im01.dcm to im04.dcm)")
        }
        #expect(r.series[0].files.map(\.lastPathComponent) == ["im01.dcm", "im02.dcm", "im03.dcm", "im04.dcm"])
        let v = try r.series[0].load(options: .init(), logger: testLogger)
        #expect(v.geometry.size == SIMD3(4, 4, 4))
        #expect(abs(v.geometry.spacing.z - 3) < 1e-9)
        #expect(norm(v.geometry.origin) < 1e-9)
        #expect(v.metadata["Warnings"] == nil)
        for z in 0..<4 { for i in 0..<16 { #expect(v[i % 4, i / 4, z, 0] == Double(100 * z + i)) } }
    }

    /// Keys and name post-fixes of split series follow dcm2niix: `_e<N>` by echo, `_ph` for
    /// phase, nothing for magnitude; stacks differing only in size keep numbered keys.
    @Test func splitSeriesPostfixes() throws {
        let echoes = DICOMScanner.scan([Self.folder("multi_echo")], options: .init(), logger: testLogger).series
        #expect(echoes.map(\.echoPostfix) == ["_e1", "_e2"])
        #expect(echoes.map(\.namePostfix) == ["", ""])
        #expect(echoes.allSatisfy { $0.key.hasPrefix("S8_") } && echoes.map { String($0.key.suffix(3)) } == ["_e1", "_e2"])
        #expect(echoes.map { $0.summary["EchoTime"] } == [.number(0.0045), .number(0.009)])
        let kinds = DICOMScanner.scan([Self.folder("mag_phase")], options: .init(), logger: testLogger).series
        #expect(kinds.map(\.namePostfix) == ["", "_ph"])
        #expect(kinds.map(\.echoPostfix) == ["", ""])
        #expect(kinds.map { $0.summary["ImageKind"] } == ["MAGNITUDE", "PHASE"])
        let sizes = DICOMScanner.scan([Self.folder("mixed_sizes")], options: .init(), logger: testLogger).series
        #expect(sizes.map(\.namePostfix) == ["", ""])
        #expect(sizes.map { String($0.key.suffix(2)) } == ["_1", "_2"])
    }

    /// Four frames sharing one position become slices SpacingBetweenSlices (2.5 mm) apart
    /// along the normal of the 20°-tilted plane, with a warning, not four time points.
    @Test func multiFrameWithoutPositionsStacksAtSpacing() throws {
        let v = try loadSingleSeries([Self.folder("multiframe")])
        let g = v.geometry
        #expect(g.size == SIMD3(8, 6, 4))
        #expect(v.timepoints == 1)
        #expect(abs(g.spacing.x - 0.8) < 1e-9 && abs(g.spacing.y - 0.6) < 1e-9 && abs(g.spacing.z - 2.5) < 1e-9)
        let a = 20.0 * .pi / 180
        let expected = Matrix3(columns: [1, 0, 0], [0, cos(a), sin(a)], [0, -sin(a), cos(a)])
        for (u, w) in zip(g.direction.columns, expected.columns) { #expect(norm(u - w) < 1e-8) }
        #expect(norm(g.origin - SIMD3(10, -20, 30)) < 1e-6)
        for z in 0..<4 { for y in 0..<6 { for x in 0..<8 { #expect(v[x, y, z, 0] == Double(100 * z + 10 * y + x)) } } }
        #expect(v.metadata["Warnings"] == .array(["mf.dcm: 4 frames without per-frame positions; stacked as slices 2.5 mm apart (SpacingBetweenSlices) along the slice normal"]))
    }

    /// Projections have no slices: one of another size in their series is not excluded.
    @Test func projectionOfAnotherSizeIsNotAnOddSlice() throws {
        let r = DICOMScanner.scan([Self.folder("dx_sizes")], options: .init(), logger: testLogger)
        #expect(r.failures.isEmpty, "\(r.failures.map(\.reason))")
        #expect(r.series.map(\.files.count).sorted() == [1, 2])
        let sizes = try r.series.map { try $0.load(options: .init(), logger: testLogger).geometry.size }
        #expect(Set(sizes.map { SIMD2($0.x, $0.y) }) == [SIMD2(4, 3), SIMD2(6, 5)])
    }

    @Test(arguments: ["zero_spacing", "negative_spacing"])
    func nonPositiveSpacingIsInvalidGeometry(folder: String) throws {
        let r = DICOMScanner.scan([Self.folder(folder)], options: .init(), logger: testLogger)
        try #require(r.series.count == 1)
        #expect {
            _ = try r.series[0].load(options: .init(), logger: testLogger)
        } throws: { error in
            guard case let KiraError.invalidGeometry(path, _) = error else { return false }
            return path.contains(folder) && path.hasSuffix(".dcm")
        }
    }

    @Test func badFilesAreReportedNotFatal() throws {
        let r = DICOMScanner.scan([Self.folder("bad"), Self.folder("oblique_mr")], options: .init(), logger: testLogger)
        #expect(r.series.count == 1)
        #expect(r.skippedNonDICOM.map { URL(fileURLWithPath: $0.file).lastPathComponent } == ["notes.txt"])
        #expect(r.failures.count == 1)
        #expect(r.failures.first?.file.hasSuffix("truncated.dcm") == true)
        #expect(r.failures.first?.reason.contains("truncated") == true)
    }
}

/// Philips' floating-point scaling on TestData/dicom/philips: stored PV = 100 z + i,
/// RescaleSlope 1.5, RescaleIntercept -3, ScaleSlope (2005,100E) FL 0.3.
@Suite struct PhilipsPreciseTests {
    static let folder = TestPaths.testData("dicom/philips")
    static let scaleSlope = Double(Float(0.3))

    @Test func displayValuesByDefault() throws {
        let v = try loadSingleSeries([Self.folder])
        for z in 0..<3 { for i in 0..<16 { #expect(v[i % 4, i / 4, z, 0] == 1.5 * Double(100 * z + i) - 3) } }
        #expect(v.metadata["PhilipsPrecise"] == nil)
        #expect(v.metadata["RescaleSlope"] == .number(1.5))
    }

    /// FP = (PV·RS + RI) / (RS·SS), to float32 precision.
    @Test func preciseValuesDivideByScaleSlope() throws {
        let v = try loadSingleSeries([Self.folder], options: .init(philipsPrecise: true))
        #expect(v.voxels.scalarType == .float32)
        for z in 0..<3 { for i in 0..<16 {
            let expected = (1.5 * Double(100 * z + i) - 3) / (1.5 * Self.scaleSlope)
            #expect(abs(v[i % 4, i / 4, z, 0] - expected) <= 1e-6 * max(1, abs(expected)))
        } }
        #expect(v.metadata["PhilipsPrecise"] == true)
        #expect(abs((v.metadata["PhilipsScaleSlope"]?.doubleValue ?? 0) - Self.scaleSlope) < 1e-8)
        #expect(v.metadata["PhilipsRescaleSlope"] == .number(1.5))
        #expect(v.metadata["PhilipsRescaleIntercept"] == .number(-3))
    }

    /// dcm2niix's reference output (precise scaling is its default) for the dcm_qa_enh
    /// Philips field map file: the magnitude matches once precise; the field map (Hz) keeps
    /// its rescale in both.
    @Test(.enabled(if: TestPaths.referenceAvailable, referenceMissing))
    func referencePhilipsMatchesDcm2niix() throws {
        let options = DICOMReadOptions(philipsPrecise: true)
        let r = DICOMScanner.scan([TestPaths.reference("dicom/dcm_qa_enh/In/Philips")], options: options, logger: testLogger)
        try #require(r.series.count == 2)
        let mag = try #require(r.series.first { ($0.summary["ImageKind"]?.stringValue ?? "").contains("MAGNITUDE") })
        let map = try #require(r.series.first { !($0.summary["ImageKind"]?.stringValue ?? "").contains("MAGNITUDE") })
        let m = try mag.load(options: options, logger: testLogger)
        #expect(m.metadata["PhilipsPrecise"] == true)
        let mref = try NIfTIReader.read(TestPaths.reference("dicom/dcm_qa_enh/Ref/Philips_WIP_B0_NS_801_e1.nii"))
        let cm = VolumeComparison(m, mref)
        #expect(cm.outside == 0 && cm.maxPositionError <= 1e-3, "\(cm)")
        var worst = 0.0
        for z in 0..<m.geometry.size.z { for y in 0..<m.geometry.size.y { for x in 0..<m.geometry.size.x {
            let c = mref.geometry.continuousIndex(physical: m.geometry.physicalPoint(index: SIMD3(x, y, z)))!
            let ref = mref[Int(c.x.rounded()), Int(c.y.rounded()), Int(c.z.rounded()), 0]
            worst = max(worst, abs(m[x, y, z, 0] - ref) / max(1, abs(ref)))
        } } }
        #expect(worst < 1e-5, "relative difference \(worst)")
        let f = try map.load(options: options, logger: testLogger)
        #expect(f.metadata["PhilipsPrecise"] == nil)
        let cf = VolumeComparison(f, try NIfTIReader.read(TestPaths.reference("dicom/dcm_qa_enh/Ref/Philips_WIP_B0_NS_801_e2_fieldmaphz.nii")))
        #expect(cf.maxValueDifference < 0.01, "\(cf)")
    }
}

@Suite struct SegmentationTests {
    @Test func binarySegmentationBecomesLabelVolume() throws {
        let v = try DICOMSegReader.read(TestPaths.testData("dicom/seg/seg.dcm"))
        #expect(v.geometry.size == SIMD3(4, 4, 3))
        #expect(v.geometry.spacing == SIMD3(1, 1, 2))
        #expect(v.geometry.origin == SIMD3(0, 0, 0))
        #expect(v.voxels.scalarType == .uint8)
        var expected = [Double](repeating: 0, count: 48)
        for p in 0..<4 { expected[p] = 1 }
        expected[15] = 2
        expected[2 * 16 + 5] = 2
        #expect(v.voxels.toDoubles() == expected)
    }

    @Test func scannerListsSegmentationsApartFromSeries() {
        let r = DICOMScanner.scan([TestPaths.testData("dicom/seg")], options: .init(), logger: testLogger)
        #expect(r.series.isEmpty)
        #expect(r.skippedNonDICOM.isEmpty)
        #expect(r.segmentations.map(\.lastPathComponent) == ["seg.dcm"])
    }
}

@Suite struct ProjectionTests {
    /// ImagerPixelSpacing 0.2\0.1 mm at magnification 1.25 → 0.16 mm rows, 0.08 mm columns.
    @Test func radiographSpacingLateralityAndInversion() throws {
        let v = try loadSingleSeries([TestPaths.testData("dicom/dx")])
        #expect(v.geometry.size == SIMD3(4, 3, 1))
        #expect(abs(v.geometry.spacing.x - 0.08) < 1e-12 && abs(v.geometry.spacing.y - 0.16) < 1e-12)
        #expect(v.geometry.direction == .identity)
        #expect(v.metadata["SpacingSource"] == "ImagerPixelSpacing/EstimatedRadiographicMagnificationFactor")
        #expect(v.metadata["ImageLaterality"] == "L")
        #expect(v.metadata["ViewPosition"] == "CC")
        #expect(v.metadata["PresentationIntentType"] == "FOR PRESENTATION")
        #expect(v.voxels.scalarType == .uint16)
        // 12 bits stored: the junk above bit 11 is masked, then MONOCHROME1 is inverted.
        for y in 0..<3 { for x in 0..<4 { #expect(v[x, y, 0, 0] == Double(4095 - (300 * y + 7 * x))) } }
    }
}
