import CNifti
import Foundation
import KiraCore

/// Reads `.nii` and `.nii.gz` files (NIfTI-1) into a `Volume` in LPS coordinates.
public enum NIfTIReader {
    public static func read(_ url: URL) throws -> Volume {
        let path = url.path
        try checkReadable(path)
        // kira_nifti_read_raw allocates what the header's dims ask for before reading a byte,
        // so the dims are checked against the budget first (a 348-byte file can ask for TBs).
        let head = NIfTIImageHandle(reading: path, withData: false)
        if let head { try checkBudget(head, path: path) }
        if let head, let data = inflatedVoxels(path, head) {
            return try data.withUnsafeBytes { try volume(head, data: UnsafeRawBufferPointer(rebasing: $0[Int(head.nim.iname_offset)...]), url: url) }
        }
        // Not nifti_image_read: it zero-fills the voxels missing from a short file and turns
        // NaN voxels into 0, both made-up values; a short file reads as nil here.
        guard let h = NIfTIImageHandle(readingRaw: path) else {
            throw diagnose(path)
        }
        return try volume(h, data: h.dataBytes, url: url)
    }

    /// A `.nii.gz` inflated by libdeflate in one call (about twice the speed of zlib's
    /// streaming inflate, which was most of the time a cohort spent reading masks): the
    /// header bytes, then the voxels at `iname_offset`. nil leaves the file to niftilib: not
    /// gzip, a stream that is not exactly header and voxels (short, corrupt, trailing bytes),
    /// or voxels in the other byte order.
    static func inflatedVoxels(_ path: String, _ head: NIfTIImageHandle) -> [UInt8]? {
        let nim = head.nim
        guard path.lowercased().hasSuffix(".gz"), nim.iname_offset >= 0,
              !(nim.swapsize > 1 && nim.byteorder != nifti_short_order()) else { return nil }
        let total = Int(nim.iname_offset) + Int(nim.nvox) * Int(nim.nbyper)
        guard let compressed = FileManager.default.contents(atPath: path), let inflater = DeflateDecompressor() else { return nil }
        var complete = false
        let out = [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
            complete = compressed.withUnsafeBytes { inflater.inflate($0, into: UnsafeMutableRawBufferPointer(buffer)) }
            // Inflated or not, every byte is set, so the array is never read uninitialised.
            if !complete { buffer.initialize(repeating: 0) }
            count = total
        }
        return complete ? out : nil
    }

    private static func volume(_ h: NIfTIImageHandle, data: UnsafeRawBufferPointer, url: URL) throws -> Volume {
        let path = url.path
        let geometry = try geometry(of: h, path: path)
        let dims = h.dims
        let ndim = max(0, min(7, dims[0]))
        var t = 1
        if ndim >= 4 { for d in 4...ndim { t *= max(1, dims[d]) } }
        let count = Int(h.nim.nvox)
        guard data.count == count * Int(h.nim.nbyper), data.baseAddress != nil else {
            throw KiraError.truncated(path: path, reason: "voxel data could not be read")
        }
        let datatype = h.nim.datatype
        var components = 1
        var voxels = try convert(data, datatype: datatype, count: count, path: path)
        if datatype == DT_RGB24 { components = 3 }
        let slope = Double(h.nim.scl_slope), inter = Double(h.nim.scl_inter)
        if slope != 0, slope.isFinite, slope != 1 || inter != 0 {
            voxels = rescale(voxels, slope: slope, intercept: inter)
        }
        return try Volume(geometry: geometry, timepoints: t, components: components, voxels: voxels,
                          metadata: ["SourceFile": .string(url.lastPathComponent)])
    }

    /// Geometry and time points from the header alone.
    public static func readGeometry(_ url: URL) throws -> (geometry: Geometry, timepoints: Int) {
        let path = url.path
        try checkReadable(path)
        guard let h = NIfTIImageHandle(reading: path, withData: false) else { throw diagnose(path) }
        let dims = h.dims
        var t = 1
        if dims[0] >= 4 { for d in 4...min(7, dims[0]) { t *= max(1, dims[d]) } }
        return (try geometry(of: h, path: path), t)
    }

    static func geometry(of h: NIfTIImageHandle, path: String) throws -> Geometry {
        let dims = h.dims
        let ndim = dims[0]
        guard (1...7).contains(ndim) else {
            throw KiraError.unsupportedFormat(path: path, reason: "dim[0] is \(ndim)")
        }
        let size = SIMD3<Int>(dims[1], ndim >= 2 ? dims[2] : 1, ndim >= 3 ? dims[3] : 1)
        let (kind, m) = h.affine
        if kind == 0 { try checkStatedSpacing(path: path, axes: min(ndim, 3)) }
        // RAS → LPS: negate the x and y rows.
        var cols: [SIMD3<Double>] = []
        for c in 0..<3 { cols.append(SIMD3(-m[c], -m[4 + c], m[8 + c])) }
        let origin = SIMD3(-m[3], -m[7], m[11])
        var spacing = SIMD3<Double>(repeating: 0)
        var dir: [SIMD3<Double>] = []
        for c in 0..<3 {
            let n = norm(cols[c])
            guard n > 0, n.isFinite else {
                throw KiraError.invalidGeometry(path: path, reason: "spacing along axis \(c) is \(n)")
            }
            spacing[c] = n
            dir.append(cols[c] / n)
        }
        let g = Geometry(size: size, spacing: spacing, origin: origin, direction: Matrix3(columns: dir[0], dir[1], dir[2]))
        let problems = g.validationErrors()
        guard problems.isEmpty else {
            throw KiraError.invalidGeometry(path: path, reason: problems.joined(separator: "; "))
        }
        return g
    }

    /// With qform_code and sform_code both 0 the spacing comes from pixdim alone; a zero
    /// there means the file states no spacing, and 1 mm would be a guess.
    private static func checkStatedSpacing(path: String, axes: Int) throws {
        var pixdim = [Double](repeating: 0, count: 8)
        guard kira_nifti_stated_pixdim(path, &pixdim) == 0 else { return }
        for axis in 1...max(1, axes) where !(pixdim[axis] > 0 && pixdim[axis].isFinite) {
            throw KiraError.invalidGeometry(
                path: path, reason: "pixdim[\(axis)] is \(pixdim[axis]); with qform_code and sform_code both 0 it alone gives the spacing along axis \(axis - 1), which must be a positive number")
        }
    }

    private static func checkReadable(_ path: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else {
            throw KiraError.unreadable(path: path, reason: "no such file")
        }
    }

    /// The voxel buffer the header declares, multiplied checked.
    private static func checkBudget(_ h: NIfTIImageHandle, path: String) throws {
        let dims = h.dims
        let ndim = max(1, min(7, dims[0]))
        try AllocationBudget.check("\(path): voxel data (header dim)", factors: (1...ndim).map { max(1, dims[$0]) },
                                   elementBytes: Int(h.nim.nbyper))
    }

    /// niftilib only says NULL; tell a truncated file from one that is not NIfTI at all.
    private static func diagnose(_ path: String) -> KiraError {
        if path.hasSuffix(".gz") {
            return .unreadable(path: path, reason: "not a readable gzip-compressed NIfTI file (truncated or corrupt)")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if size < 348 { return .truncated(path: path, reason: "\(size) bytes, shorter than a NIfTI header (348)") }
        if let h = NIfTIImageHandle(reading: path, withData: false) {
            let need = Int(h.nim.iname_offset) &+ Int(h.nim.nvox) &* Int(h.nim.nbyper)
            if size < need { return .truncated(path: path, reason: "\(size) bytes, header declares \(need)") }
        }
        return .unsupportedFormat(path: path, reason: "not a NIfTI-1 file")
    }

    static func convert(_ raw: UnsafeRawBufferPointer, datatype: Int32, count: Int, path: String) throws -> VoxelBuffer {
        func arr<T>(_: T.Type) -> [T] { Array(raw.bindMemory(to: T.self).prefix(count)) }
        switch datatype {
        case DT_UINT8: return .uint8(arr(UInt8.self))
        case DT_INT8: return .int16(arr(Int8.self).map { Int16($0) })
        case DT_INT16: return .int16(arr(Int16.self))
        case DT_UINT16: return .uint16(arr(UInt16.self))
        case DT_INT32: return .int32(arr(Int32.self))
        case DT_UINT32: return .float64(arr(UInt32.self).map { Double($0) })
        case DT_INT64: return .float64(arr(Int64.self).map { Double($0) })
        case DT_UINT64: return .float64(arr(UInt64.self).map { Double($0) })
        case DT_FLOAT32: return .float32(arr(Float.self))
        case DT_FLOAT64: return .float64(arr(Double.self))
        case DT_RGB24: return .uint8(Array(raw.bindMemory(to: UInt8.self).prefix(count * 3)))
        default:
            throw KiraError.unsupportedFormat(path: path, reason: "NIfTI datatype \(datatype)")
        }
    }

    static func rescale(_ v: VoxelBuffer, slope: Double, intercept: Double) -> VoxelBuffer {
        if case let .float64(a) = v { return .float64(a.map { $0 * slope + intercept }) }
        return .float32(v.toDoubles().map { Float($0 * slope + intercept) })
    }
}
