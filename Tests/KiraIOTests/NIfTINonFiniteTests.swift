import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

/// niftilib's reader replaces NaN and infinite floats by 0; Kira's must keep them, so that a
/// NaN voxel is reported instead of taken for a real zero.
@Suite struct NIfTINonFiniteTests {
    /// nibabel writes the file (little- and big-endian float32, float64, gzip or not); the
    /// voxels must come back bit for bit, NaN where nibabel put NaN.
    static let writer = """
    import sys, numpy as np, nibabel as nib
    path, dtype = sys.argv[1], sys.argv[2]
    a = (np.arange(4 * 3 * 2, dtype=np.float64).reshape((4, 3, 2), order="F") * 1.5 - 7).astype(dtype)
    a[1, 2, 0] = np.nan; a[3, 0, 1] = np.inf; a[0, 1, 1] = -np.inf
    img = nib.Nifti1Image(a, np.diag([2.0, 2.0, 3.0, 1.0]))
    img.header.set_data_dtype(dtype)
    nib.save(img, path)
    """

    static func expected() -> [Double] {
        // NIfTI order: x fastest; the values as the writer made them.
        var v = (0..<24).map { Double($0) * 1.5 - 7 }
        v[1 + 2 * 4 + 0 * 12] = .nan
        v[3 + 0 * 4 + 1 * 12] = .infinity
        v[0 + 1 * 4 + 1 * 12] = -.infinity
        return v
    }

    @Test(.enabled(if: PythonPeer.has("nibabel"), Comment(rawValue: PythonPeer.missing("nibabel"))),
          arguments: [("nii", "<f4"), ("nii.gz", "<f4"), ("nii", ">f4"), ("nii.gz", ">f8"), ("nii", "<f8")])
    func nonFiniteVoxelsSurviveReading(ext: String, dtype: String) throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("nan.\(ext)")
        try PythonPeer.run(Self.writer, arguments: [url.path, dtype])
        let v = try NIfTIReader.read(url)
        #expect(v.geometry.size == SIMD3(4, 3, 2))
        #expect(v.voxels.scalarType == (dtype.hasSuffix("4") ? .float32 : .float64))
        let got = v.voxels.toDoubles(), want = Self.expected()
        #expect(got.count == want.count)
        for (i, (g, w)) in zip(got, want).enumerated() {
            #expect(g == w || (g.isNaN && w.isNaN), "voxel \(i): \(g) vs \(w)")
        }
    }

    /// Kira's own writer keeps NaN too (round trip without a peer).
    @Test func writerAndReaderKeepNaN() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let g = Geometry(size: [3, 2, 2], spacing: [1, 1, 1], origin: [0, 0, 0])
        var a = (0..<12).map { Float($0) }
        a[5] = .nan
        let url = dir.appendingPathComponent("w.nii.gz")
        try NIfTIWriter.write(try Volume(geometry: g, voxels: .float32(a)), to: url)
        guard case let .float32(back) = try NIfTIReader.read(url).voxels else {
            Issue.record("expected float32 voxels"); return
        }
        #expect(back[5].isNaN)
        #expect(back.enumerated().filter { $0.offset != 5 }.allSatisfy { $0.element == Float($0.offset) })
    }

    /// The raw reader still refuses a file shorter than its header declares.
    @Test func shortFileIsTruncated() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let g = Geometry(size: [8, 8, 8], spacing: [1, 1, 1], origin: [0, 0, 0])
        let url = dir.appendingPathComponent("s.nii")
        try NIfTIWriter.write(try Volume(geometry: g, voxels: .float32([Float](repeating: 1, count: 512))), to: url)
        let data = try Data(contentsOf: url)
        try data.prefix(data.count - 100).write(to: url)
        #expect {
            _ = try NIfTIReader.read(url)
        } throws: { error in
            guard case let KiraError.truncated(path, reason)? = error as? KiraError else { return false }
            return path == url.path && reason.contains("header declares")
        }
    }
}
