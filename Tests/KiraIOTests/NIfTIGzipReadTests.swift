import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

/// A `.nii.gz` is inflated in one call by libdeflate when its stream is exactly header and
/// voxels; anything else goes to niftilib's reader, which says what is wrong. Both give the
/// voxels written, and a cut file fails either way.
@Suite struct NIfTIGzipReadTests {
    @Test func gzipReadsAsTheUncompressedFile() throws {
        let v = try NIfTIRoundTripTests.sampleVolume { n in .float32((0..<n).map { Float($0) * 0.25 - 3 }) }
        let dir = try TestPaths.temporaryDirectory("nifti-gzip")
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = dir.appendingPathComponent("v.nii"), packed = dir.appendingPathComponent("v.nii.gz")
        try NIfTIWriter.write(v, to: plain)
        try NIfTIWriter.write(v, to: packed)
        let a = try NIfTIReader.read(plain), b = try NIfTIReader.read(packed)
        #expect(b.voxels == v.voxels && a.voxels == b.voxels)
        #expect(a.geometry == b.geometry)
    }

    /// Bytes after the gzip member (another tool's padding) are not voxels: both readers stop
    /// at the header's count.
    @Test func bytesAfterTheStreamAreIgnored() throws {
        let v = try NIfTIRoundTripTests.sampleVolume { n in .uint8((0..<n).map { UInt8($0 % 3) }) }
        let dir = try TestPaths.temporaryDirectory("nifti-gzip")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("m.nii.gz")
        try NIfTIWriter.write(v, to: url)
        var bytes = try Data(contentsOf: url)
        bytes.append(contentsOf: [0, 0, 0, 0])
        try bytes.write(to: url)
        #expect(try NIfTIReader.read(url).voxels == v.voxels)
    }

    @Test func aCutStreamFails() throws {
        let v = try NIfTIRoundTripTests.sampleVolume { n in .float32((0..<n).map { sin(Float($0)) }) }
        let dir = try TestPaths.temporaryDirectory("nifti-gzip")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("c.nii.gz")
        try NIfTIWriter.write(v, to: url)
        let bytes = try Data(contentsOf: url)
        try bytes.prefix(bytes.count - 40).write(to: url)
        #expect(throws: (any Error).self) { try NIfTIReader.read(url) }
    }
}
