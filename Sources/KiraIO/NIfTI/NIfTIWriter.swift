import CNifti
import Foundation
import KiraCore

/// Writes a `Volume` as NIfTI-1 (`.nii` or `.nii.gz`), sform and qform both set from the
/// geometry, atomically.
public enum NIfTIWriter {
    public struct Options: Sendable {
        /// Repetition time or phase interval in seconds, stored as pixdim[4].
        public var timeStep: Double?
        public var description: String
        public init(timeStep: Double? = nil, description: String = "Kira \(KiraVersion.current)") {
            self.timeStep = timeStep
            self.description = description
        }
    }

    public static func write(_ volume: Volume, to url: URL, options: Options = Options()) throws {
        let name = url.lastPathComponent
        guard name.hasSuffix(".nii") || name.hasSuffix(".nii.gz") else {
            throw KiraError.invalidArgument("\(url.path): NIfTI output must end in .nii or .nii.gz")
        }
        let voxels = volume.voxels
        let (h, dims) = try makeHeader(volume.header, path: url.path, uint16FitsInt16: fitsInt16(voxels), options: options)
        try AtomicOutput.write(to: url) { tmp in
            try voxels.withUnsafeBytes { try h.write(to: tmp.path, bytes: $0) }
            try checkHeader(tmp.path, url, dims)
        }
    }

    /// The niftilib header for `header`: grid, spacing, affine, units and description.
    static func makeHeader(_ header: VolumeHeader, path: String, uint16FitsInt16: Bool,
                           options: Options) throws -> (NIfTIImageHandle, [Int32]) {
        let problems = header.geometry.validationErrors()
        guard problems.isEmpty else {
            throw KiraError.invalidGeometry(path: path, reason: problems.joined(separator: "; "))
        }
        let datatype: Int32
        switch header.scalarType {
        case .uint8: datatype = header.components == 3 ? DT_RGB24 : DT_UINT8
        case .int16: datatype = DT_INT16
        case .uint16: datatype = uint16FitsInt16 ? DT_INT16 : DT_UINT16
        case .int32: datatype = DT_INT32
        case .float32: datatype = DT_FLOAT32
        case .float64: datatype = DT_FLOAT64
        }
        guard header.components == 1 || datatype == DT_RGB24 else {
            throw KiraError.invalidArgument("\(path): only 8-bit RGB can be written with more than one component")
        }
        let g = header.geometry
        var extents = [g.size.x, g.size.y, g.size.z]
        if header.timepoints > 1 { extents.append(header.timepoints) }
        // NIfTI-1 stores each dimension in 16 bits; niftilib would write a file it cannot read back.
        if let (axis, n) = extents.enumerated().first(where: { $0.element > Int(Int16.max) }) {
            throw KiraError.writeFailed(path: path, reason: "dimension \(axis + 1) has \(n) voxels; NIfTI-1 holds at most \(Int16.max) per dimension")
        }
        let dims = extents.map { Int32($0) }
        guard let h = NIfTIImageHandle(dims: dims, datatype: datatype) else {
            throw KiraError.writeFailed(path: path, reason: "niftilib could not allocate a header")
        }
        for a in 0..<3 { h.setPixdim(a + 1, g.spacing[a]) }
        if header.timepoints > 1 { h.setPixdim(4, options.timeStep ?? 1) }
        h.pointer.pointee.dx = Float(g.spacing.x)
        h.pointer.pointee.dy = Float(g.spacing.y)
        h.pointer.pointee.dz = Float(g.spacing.z)
        h.pointer.pointee.dt = Float(options.timeStep ?? 0)
        h.pointer.pointee.xyz_units = Int32(NIFTI_UNITS_MM)
        h.pointer.pointee.time_units = Int32(NIFTI_UNITS_SEC)
        h.setAffine(g.affineRAS.prefix(3).flatMap { $0 })
        withUnsafeMutableBytes(of: &h.pointer.pointee.descrip) { buf in
            let bytes = Array(options.description.utf8.prefix(79))
            buf.copyBytes(from: bytes + [0])
        }
        return (h, dims)
    }

    /// nifti_image_write reports nothing; the header is read back to know the file landed.
    static func checkHeader(_ tmp: String, _ url: URL, _ dims: [Int32]) throws {
        guard let check = NIfTIImageHandle(reading: tmp, withData: false),
              Array(check.dims[1...dims.count]) == dims.map(Int.init) else {
            throw KiraError.writeFailed(path: url.path, reason: "niftilib did not write a readable file")
        }
    }

    /// 16-bit unsigned data that fits in signed 16 bits is stored signed, as dcm2niix does,
    /// because many NIfTI readers mishandle uint16. Values up to 32767 have the same bytes
    /// in both types, so the buffer is written as it is, without a converted copy.
    static func fitsInt16(_ v: VoxelBuffer) -> Bool {
        guard case let .uint16(a) = v else { return false }
        return a.withUnsafeBufferPointer { maxUInt16($0) <= UInt16(Int16.max) }
    }

    static func maxUInt16(_ b: UnsafeBufferPointer<UInt16>) -> UInt16 {
        var top: UInt16 = 0
        for x in b { top = max(top, x) }
        return top
    }
}
