import Foundation
import KiraCore

extension NRRDReader {
    /// `read` for a label map: an attached gzip or raw map of 16- or 32-bit integers whose
    /// values all lie in 0...255 comes back as uint8, decoded a chunk at a time, so the map
    /// never takes its stored width in memory (Slicer writes label maps as int32, four times
    /// the mask made from them). Any other file, or a value outside that range, is read
    /// exactly as `read` reads it.
    public static func readLabels(_ url: URL) throws -> Volume {
        let path = url.path
        let file = try readFile(path)
        let narrowed: Volume? = try file.withUnsafeBytes { bytes in
            let h = try NRRDHeader(bytes: bytes, path: path, headerComplete: true)
            guard h.dataFiles.isEmpty, h.lineSkip == 0, h.byteSkip == 0, h.components == 1, h.timepoints == 1,
                  h.bigEndian == (1.bigEndian == 1) else { return nil }
            let start = h.dataOffset ?? bytes.count
            let region = UnsafeRawBufferPointer(rebasing: bytes[start...])
            let values: [UInt8]?
            switch h.type {
            case .int16: values = try narrow(Int16.self, region, h)
            case .uint16: values = try narrow(UInt16.self, region, h)
            case .int32: values = try narrow(Int32.self, region, h)
            case .uint32: values = try narrow(UInt32.self, region, h)
            default: return nil
            }
            guard let values else { return nil }
            return try Volume(geometry: h.geometry, voxels: .uint8(values), metadata: metadata(h, url: url))
        }
        return try narrowed ?? read(url, file: file)
    }

    /// The voxels as bytes, or nil when one lies outside 0...255 (or the encoding is neither
    /// raw nor gzip).
    private static func narrow<T: FixedWidthInteger>(_: T.Type, _ region: UnsafeRawBufferPointer, _ h: NRRDHeader) throws -> [UInt8]? {
        let count = h.voxelCount
        let chunk = 1 << 16
        var out = [UInt8](repeating: 0, count: count)
        var fits = true
        func take(_ src: UnsafeRawBufferPointer, at first: Int, _ n: Int, _ dst: UnsafeMutableBufferPointer<UInt8>) {
            var bad = false
            for i in 0..<n {
                let v = src.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
                bad = bad || v < 0 || v > 255
                dst[first + i] = UInt8(truncatingIfNeeded: v)
            }
            if bad { fits = false }
        }
        switch h.encoding {
        case .raw:
            let bytesNeeded = count * MemoryLayout<T>.size
            guard region.count >= bytesNeeded else { return nil }
            out.withUnsafeMutableBufferPointer { dst in
                var first = 0
                while first < count, fits {
                    let n = min(chunk, count - first)
                    take(UnsafeRawBufferPointer(rebasing: region[(first * MemoryLayout<T>.size)...]), at: first, n, dst)
                    first += n
                }
            }
        case .gzip:
            let inflater = try ZlibInflater(path: h.path)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk * MemoryLayout<T>.size, alignment: 16)
            defer { buffer.deallocate() }
            var consumed = 0, first = 0
            try out.withUnsafeMutableBufferPointer { dst in
                while first < count, fits {
                    let n = min(chunk, count - first)
                    let target = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(n * MemoryLayout<T>.size)])
                    let r = try inflater.inflate(region, consumed: &consumed, into: target, path: h.path)
                    // A short or corrupt stream is left to `read`, whose messages say what is wrong.
                    guard r.produced == target.count else { fits = false; return }
                    take(UnsafeRawBufferPointer(target), at: first, n, dst)
                    first += n
                }
            }
        default:
            return nil
        }
        return fits ? out : nil
    }
}
