import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

/// pyradiomics' own test images (../shared/reference/pyradiomics/data), read with the NRRD and
/// mask readers and checked against pyradiomics' diagnostics and SimpleITK's geometry.
@Suite struct NRRDPyradiomicsTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        /// Geometry as SimpleITK 2.5.7 reads `<name>_image.nrrd` and `<name>_label.nrrd`
        /// (`GetSize/GetSpacing/GetOrigin/GetDirection` printed with repr, 2026-11-21; both
        /// files give the same numbers). LPS, like Kira.
        var size: SIMD3<Int>
        var spacing: SIMD3<Double>
        var origin: SIMD3<Double>
        var direction: Matrix3
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "breast1", size: [45, 120, 21], spacing: [0.664062, 0.664062, 2.1],
             origin: [-116.54304, -48.14465400000001, 9.45000000000003], direction: .identity),
        Case(name: "brain1", size: [256, 256, 25],
             spacing: [0.7812499999999999, 0.7812499999999999, 6.499999999999998],
             origin: [-99.60937499999999, 99.60937499999999, -77.99999999999996],
             direction: Matrix3(columns: [1, 0, 0], [0, -1, 0], [0, 0, 1])),
    ]

    static func data(_ file: String) -> URL { TestPaths.reference("pyradiomics/data/\(file)") }

    /// Geometry equality for numbers read from the same decimal text: 1e-9 mm, 1e-12 relative, 1e-6°.
    static let exact = GeometryTolerance(origin: 1e-9, relativeSpacing: 1e-12, angleDegrees: 1e-6)

    /// The diagnostics of one test case in `baseline_firstorder.csv`: for every row, the first
    /// non-empty value among the columns of that case (`breast1`, `breast1_normalization`, …;
    /// the `diagnostics_Image-original_*` and `diagnostics_Mask-original_*` rows do not depend
    /// on the column's settings).
    static func diagnostics(_ name: String) throws -> [String: String] {
        let text = try String(contentsOf: data("baseline/baseline_firstorder.csv"), encoding: .utf8)
        let rows = MaskReference.parseCSV(text)
        guard let header = rows.first(where: { $0.first == "featureName" }) else { return [:] }
        let columns = header.indices.filter { $0 > 0 && (header[$0] == name || header[$0].hasPrefix(name + "_")) }
        var out: [String: String] = [:]
        for row in rows where row.first?.hasPrefix("diagnostics_") == true {
            if let c = columns.first(where: { $0 < row.count && !row[$0].isEmpty }) { out[row[0]] = row[c] }
        }
        return out
    }

    static func relativelyEqual(_ a: Double, _ b: Double, _ tolerance: Double = 1e-6) -> Bool {
        abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-300)
    }

    @Test(.enabled(if: TestPaths.referenceAvailable, MaskReference.skipReason), arguments: cases)
    func imageAndMaskShareSimpleITKsGeometry(c: Case) throws {
        let imageURL = Self.data("\(c.name)_image.nrrd")
        let image = try NRRDReader.read(imageURL)
        let expected = Geometry(size: c.size, spacing: c.spacing, origin: c.origin, direction: c.direction)
        #expect(image.geometry.size == c.size)
        #expect(image.geometry.differences(from: expected, tolerance: Self.exact).isEmpty, "\(image.geometry)")
        #expect(image.geometry.direction == c.direction)
        #expect(try NRRDReader.readGeometry(imageURL).geometry == image.geometry)

        let maskURL = Self.data("\(c.name)_label.nrrd")
        let mask = try MaskReader.read(maskURL, label: 1, matching: image.geometry, imagePath: imageURL.path)
        #expect(mask.geometry == image.geometry)
    }

    @Test(.enabled(if: TestPaths.referenceAvailable, MaskReference.skipReason), arguments: cases)
    func statisticsMatchPyradiomicsDiagnostics(c: Case) throws {
        let d = try Self.diagnostics(c.name)
        let imageURL = Self.data("\(c.name)_image.nrrd")
        let image = try NRRDReader.read(imageURL)
        let mask = try MaskReader.read(Self.data("\(c.name)_label.nrrd"), label: 1, matching: image.geometry,
                                       imagePath: imageURL.path)

        // Whole-image statistics (pyradiomics' diagnostics_Image-original_* cover every voxel).
        let whole = MaskReference.statistics(image, mask: nil)
        for (key, value) in [("Mean", whole.mean), ("Minimum", whole.min), ("Maximum", whole.max)] {
            let ref = try #require(d["diagnostics_Image-original_\(key)"].flatMap(Double.init), "no \(key) row")
            #expect(Self.relativelyEqual(value, ref), "\(key): \(value) vs pyradiomics \(ref)")
        }
        for kind in ["Image", "Mask"] {
            let size = MaskReference.numbers(try #require(d["diagnostics_\(kind)-original_Size"]))
            #expect(size == [Double(c.size.x), Double(c.size.y), Double(c.size.z)])
            let spacing = MaskReference.numbers(try #require(d["diagnostics_\(kind)-original_Spacing"]))
            for a in 0..<3 { #expect(Self.relativelyEqual(image.geometry.spacing[a], spacing[a]), "\(kind) spacing \(a)") }
        }

        // Mask statistics.
        let roi = MaskReference.statistics(image, mask: mask)
        let voxelNum = try #require(d["diagnostics_Mask-original_VoxelNum"].flatMap(Int.init))
        #expect(roi.count == voxelNum)
        #expect(mask.metadata["MaskVoxelCount"] == .integer(voxelNum))
        // BoundingBox is (x, y, z, size x, size y, size z) in index space.
        let box = MaskReference.numbers(try #require(d["diagnostics_Mask-original_BoundingBox"])).map { Int($0) }
        #expect(box == [roi.lower.x, roi.lower.y, roi.lower.z,
                        roi.boundingBoxSize.x, roi.boundingBoxSize.y, roi.boundingBoxSize.z])
        let comIndex = MaskReference.numbers(try #require(d["diagnostics_Mask-original_CenterOfMassIndex"]))
        for a in 0..<3 { #expect(Self.relativelyEqual(roi.centreOfMassIndex[a], comIndex[a]), "centre of mass index \(a)") }
        // CenterOfMass is the same point in physical (LPS) coordinates.
        let comPhysical = MaskReference.numbers(try #require(d["diagnostics_Mask-original_CenterOfMass"]))
        let p = image.geometry.physicalPoint(index: roi.centreOfMassIndex)
        for a in 0..<3 { #expect(Self.relativelyEqual(p[a], comPhysical[a]), "centre of mass \(a): \(p[a]) vs \(comPhysical[a])") }
    }
}
