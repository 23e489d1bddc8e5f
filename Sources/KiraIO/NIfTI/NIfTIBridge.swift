import CNifti
import Foundation
import KiraCore

/// The only owner of a `nifti_image *`; frees it (and only header-side memory when the
/// data pointer was lent from Swift) on deinit.
final class NIfTIImageHandle {
    let pointer: UnsafeMutablePointer<nifti_image>
    private var dataIsBorrowed = false

    init?(reading path: String, withData: Bool) {
        guard let p = kira_nifti_read(path, withData ? 1 : 0) else { return nil }
        pointer = p
    }

    /// Header and voxel bytes as stored: non-finite floats kept (niftilib's own reader zeroes them).
    init?(readingRaw path: String) {
        guard let p = kira_nifti_read_raw(path) else { return nil }
        pointer = p
    }

    init?(dims: [Int32], datatype: Int32) {
        var d = [Int32](repeating: 1, count: 8)
        d[0] = Int32(dims.count)
        for (i, v) in dims.enumerated() { d[i + 1] = v }
        guard let p = nifti_make_new_nim(d, datatype, 0) else { return nil }
        pointer = p
    }

    deinit {
        if dataIsBorrowed { pointer.pointee.data = nil }
        nifti_image_free(pointer)
    }

    var nim: nifti_image { pointer.pointee }

    var affine: (kind: Int, matrix: [Double]) {
        var m = [Double](repeating: 0, count: 12)
        let kind = kira_nifti_get_affine(pointer, &m)
        return (Int(kind), m)
    }

    func setAffine(_ rowMajor12: [Double]) { kira_nifti_set_affine(pointer, rowMajor12) }

    /// Writes the image with `bytes` as its data, without copying them into niftilib.
    func write(to path: String, bytes: UnsafeRawBufferPointer) throws {
        guard nifti_set_filenames(pointer, path, 0, 1) == 0 else {
            throw KiraError.writeFailed(path: path, reason: "niftilib rejected the file name")
        }
        pointer.pointee.data = UnsafeMutableRawPointer(mutating: bytes.baseAddress)
        dataIsBorrowed = true
        nifti_image_write(pointer)
        pointer.pointee.data = nil
        dataIsBorrowed = false
    }

    /// Data bytes as read; empty when the image was opened without data.
    var dataBytes: UnsafeRawBufferPointer {
        let n = Int(nim.nvox) * Int(nim.nbyper)
        guard let d = nim.data else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: d, count: n)
    }

    var dims: [Int] { withUnsafeBytes(of: nim.dim) { Array($0.bindMemory(to: Int32.self)).map(Int.init) } }
    var pixdim: [Double] { withUnsafeBytes(of: nim.pixdim) { Array($0.bindMemory(to: Float.self)).map(Double.init) } }

    func setPixdim(_ index: Int, _ value: Double) {
        withUnsafeMutableBytes(of: &pointer.pointee.pixdim) { $0.bindMemory(to: Float.self)[index] = Float(value) }
    }
}
