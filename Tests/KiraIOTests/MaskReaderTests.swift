import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

/// Masks made by TestData/scripts/make_io_testdata.py on a 6×5×4 grid (spacing 0.9, 0.9, 2;
/// origin (-10, 5, 20); direction Rz(10°)): label 1 where i < 2 (40 voxels), 2 where i ≥ 4
/// and j < 2 (16 voxels), 5 at (3, 3, 3) (1 voxel).
@Suite struct MaskReaderTests {
    static func url(_ name: String) -> URL { TestPaths.testData("masks/\(name)") }

    static func expectedLabel(_ i: Int, _ j: Int, _ k: Int) -> Int {
        if (i, j, k) == (3, 3, 3) { return 5 }
        if i < 2 { return 1 }
        if i >= 4 && j < 2 { return 2 }
        return 0
    }

    static func count(_ v: Volume) -> Int { v.voxels.toDoubles().reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }

    @Test(arguments: ["labels.nrrd", "labels.nii.gz"], [nil, 1, 2, 5] as [Int?])
    func labelSelection(name: String, label: Int?) throws {
        let image = try NRRDReader.readGeometry(Self.url("image.nrrd")).geometry
        let m = try MaskReader.read(Self.url(name), label: label, matching: image, imagePath: Self.url("image.nrrd").path)
        #expect(m.voxels.scalarType == .uint8)
        #expect(m.geometry.size == [6, 5, 4])
        for k in 0..<4 {
            for j in 0..<5 {
                for i in 0..<6 {
                    let l = Self.expectedLabel(i, j, k)
                    let inside = label.map { l == $0 } ?? (l != 0)
                    #expect(m[i, j, k, 0] == (inside ? 1 : 0))
                }
            }
        }
        let expectedCount = [nil: 57, 1: 40, 2: 16, 5: 1][label]!
        #expect(Self.count(m) == expectedCount)
        #expect(m.metadata["MaskVoxelCount"] == .integer(expectedCount))
        #expect(m.metadata["MaskLabelsPresent"] == .array([1, 2, 5]))
    }

    @Test func niftiAndNRRDMasksShareTheGrid() throws {
        let a = try MaskReader.read(Self.url("labels.nrrd"), label: nil, matching: nil, imagePath: nil)
        let b = try MaskReader.read(Self.url("labels.nii.gz"), label: nil, matching: nil, imagePath: nil)
        // NIfTI keeps the affine in float32: 1e-4 mm, 1e-6 relative, 1e-4°.
        #expect(a.geometry.differences(from: b.geometry, tolerance: .init(origin: 1e-4, relativeSpacing: 1e-6, angleDegrees: 1e-4)).isEmpty)
        #expect(a.voxels == b.voxels)
    }

    @Test(arguments: [
        ("labels_shifted.nrrd", "origin differs by 2.5 mm"),
        ("labels_spacing.nrrd", "spacing (1, 0.9, 2) mm vs (0.9, 0.9, 2) mm"),
        ("labels_size.nrrd", "size 6×5×3 vs 6×5×4"),
    ])
    func maskOnAnotherGridIsRefused(name: String, difference: String) throws {
        let imageURL = Self.url("image.nrrd")
        let image = try NRRDReader.read(imageURL).geometry
        let maskURL = Self.url(name)
        #expect {
            try MaskReader.read(maskURL, label: nil, matching: image, imagePath: imageURL.path)
        } throws: { e in
            guard let k = e as? KiraError, case let .gridMismatch(mask, img, differences) = k else { return false }
            let text = "\(k)"
            return mask == maskURL.path && img == imageURL.path && !differences.isEmpty
                && text.contains(difference) && text.contains(maskURL.path) && text.contains(imageURL.path)
        }
    }

    @Test func absentLabelListsTheLabelsPresent() {
        let url = Self.url("labels.nrrd")
        #expect {
            try MaskReader.read(url, label: 3, matching: nil, imagePath: nil)
        } throws: { e in
            guard let k = e as? KiraError, case let .invalidArgument(message) = k else { return false }
            return message.contains(url.path) && message.contains("label 3") && message.contains("1, 2, 5")
        }
    }

    @Test func fractionalLabelsAreRefused() {
        let url = Self.url("labels_fraction.nrrd")
        #expect {
            try MaskReader.read(url, label: nil, matching: nil, imagePath: nil)
        } throws: { e in
            guard let k = e as? KiraError, case let .unsupportedFormat(p, reason) = k else { return false }
            return p == url.path && reason.contains("0.5")
        }
    }

    @Test func emptyMaskIsRefused() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("empty.nrrd")
        try (Data("NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 2 2\nencoding: raw\n\n".utf8) + Data(count: 8)).write(to: url)
        #expect(throws: KiraError.self) { try MaskReader.read(url, label: nil, matching: nil, imagePath: nil) }
    }

    @Test func imageFileReaderRefusesUnknownExtensions() {
        #expect(throws: KiraError.self) { try ImageFileReader.read(URL(fileURLWithPath: "/tmp/x.dcm")) }
        #expect(throws: KiraError.self) { try ImageFileReader.read(URL(fileURLWithPath: "/tmp/x.mha")) }
    }
}
