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
        let problems = volume.geometry.validationErrors()
        guard problems.isEmpty else {
            throw KiraError.invalidGeometry(path: url.path, reason: problems.joined(separator: "; "))
        }
        let voxels = volume.voxels
        let datatype: Int32
        switch voxels.scalarType {
        case .uint8: datatype = volume.components == 3 ? DT_RGB24 : DT_UINT8
        case .int16: datatype = DT_INT16
        case .uint16: datatype = fitsInt16(voxels) ? DT_INT16 : DT_UINT16
        case .int32: datatype = DT_INT32
        case .float32: datatype = DT_FLOAT32
        case .float64: datatype = DT_FLOAT64
        }
        guard volume.components == 1 || datatype == DT_RGB24 else {
            throw KiraError.invalidArgument("\(url.path): only 8-bit RGB can be written with more than one component")
        }
        let g = volume.geometry
        var dims: [Int32] = [Int32(g.size.x), Int32(g.size.y), Int32(g.size.z)]
        if volume.timepoints > 1 { dims.append(Int32(volume.timepoints)) }
        guard let h = NIfTIImageHandle(dims: dims, datatype: datatype) else {
            throw KiraError.writeFailed(path: url.path, reason: "niftilib could not allocate a header")
        }
        for a in 0..<3 { h.setPixdim(a + 1, g.spacing[a]) }
        if volume.timepoints > 1 { h.setPixdim(4, options.timeStep ?? 1) }
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
        try AtomicOutput.write(to: url) { tmp in
            try voxels.withUnsafeBytes { try h.write(to: tmp.path, bytes: $0) }
            // nifti_image_write reports nothing; read the header back to know it landed.
            guard let check = NIfTIImageHandle(reading: tmp.path, withData: false),
                  Array(check.dims[1...dims.count]) == dims.map(Int.init) else {
                throw KiraError.writeFailed(path: url.path, reason: "niftilib did not write a readable file")
            }
        }
    }

    /// 16-bit unsigned data that fits in signed 16 bits is stored signed, as dcm2niix does,
    /// because many NIfTI readers mishandle uint16. Values up to 32767 have the same bytes
    /// in both types, so the buffer is written as it is, without a converted copy.
    static func fitsInt16(_ v: VoxelBuffer) -> Bool {
        guard case let .uint16(a) = v else { return false }
        return a.withUnsafeBufferPointer { b in
            var top: UInt16 = 0
            for x in b { top = max(top, x) }
            return top <= UInt16(Int16.max)
        }
    }
}
