import Foundation
import KiraCore

/// Reads NRRD files (`.nrrd` with attached data, `.nhdr` with detached data) as 3D Slicer,
/// ITK and teem write them, into a `Volume` in LPS coordinates.
///
/// Supported: encodings raw, gzip, text and hex; every scalar `type:` spelling; `endian:`;
/// `space:` (LPS, RAS, LAS and their -time forms; scanner-xyz and 3D-right-handed are taken
/// as LPS) or `space dimension:`, or per-axis `spacings:` without a space; `space directions:`
/// with `none` for non-spatial axes; `space origin:`; `kinds:`; `line skip:`, `byte skip:`
/// (including -1 for raw data at the end of the file); `data file:` as one name, a printf
/// pattern or `LIST`. Spacings are the norms of the direction vectors.
///
/// A leading non-spatial axis whose kind is a colour or vector kind becomes the voxel's
/// components; any other non-spatial axis (list, time, or `none` without a kind) becomes time.
/// int8 is widened to int16; uint32, int64 and uint64 are kept as float64 (exact up to 2^53).
public enum NRRDReader {
    public static func read(_ url: URL) throws -> Volume {
        try read(url, file: try readFile(url.path))
    }

    /// `read` on the file's bytes, already read from `url`.
    static func read(_ url: URL, file: Data) throws -> Volume {
        try file.withUnsafeBytes { bytes -> Volume in
            let header = try NRRDHeader(bytes: bytes, path: url.path, headerComplete: true)
            let voxels = try readVoxels(header, attached: bytes)
            let arranged = header.leadingAxisToTime
                ? moveLeadingAxisToTime(voxels, lead: header.sizes[0], spatialCount: header.geometry.voxelCount)
                : voxels
            return try Volume(geometry: header.geometry, timepoints: header.timepoints, components: header.components,
                              voxels: arranged, metadata: metadata(header, url: url))
        }
    }

    /// Geometry and time points from the header alone (the data is not read).
    public static func readGeometry(_ url: URL) throws -> (geometry: Geometry, timepoints: Int) {
        let path = url.path
        let prefix = try readHeaderPrefix(path)
        let header = try prefix.data.withUnsafeBytes {
            try NRRDHeader(bytes: $0, path: path, headerComplete: prefix.complete)
        }
        return (header.geometry, header.timepoints)
    }

    // MARK: Files

    @discardableResult
    private static func checkFile(_ path: String) throws -> Int {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw KiraError.unreadable(path: path, reason: "no such file")
        }
        // A header's `data file:` may name anything; /dev/zero or a pipe would be read
        // until memory runs out or forever.
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw KiraError.unreadable(path: path, reason: "not a regular file")
        }
        return Int(st.st_size)
    }

    static func readFile(_ path: String) throws -> Data {
        // Foundation's Data(contentsOf:) leaks its 4 KiB read buffer on an empty file
        // (LeakSanitizer, found by fuzzing), once per empty data file or header.
        if try checkFile(path) == 0 { return Data() }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw KiraError.unreadable(path: path, reason: error.localizedDescription)
        }
    }

    /// The file's first bytes up to and including the blank line that ends the header.
    private static func readHeaderPrefix(_ path: String) throws -> (data: Data, complete: Bool) {
        try checkFile(path)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw KiraError.unreadable(path: path, reason: "cannot open")
        }
        defer { try? handle.close() }
        var data = Data()
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 65536) ?? Data() } catch {
                throw KiraError.unreadable(path: path, reason: error.localizedDescription)
            }
            if chunk.isEmpty { return (data, true) }
            let searchFrom = max(0, data.count - 2)
            data.append(chunk)
            if data.count >= 8, !data.prefix(7).elementsEqual("NRRD000".utf8) {
                throw KiraError.unsupportedFormat(path: path, reason: "not a NRRD file (no NRRD000x magic line)")
            }
            if data[searchFrom...].range(of: Data([0x0A, 0x0A])) != nil || data[searchFrom...].range(of: Data([0x0A, 0x0D, 0x0A])) != nil {
                return (data, true)
            }
        }
    }

    // MARK: Voxels

    private static func readVoxels(_ h: NRRDHeader, attached: UnsafeRawBufferPointer) throws -> VoxelBuffer {
        let count = h.voxelCount
        if h.dataFiles.isEmpty {
            let start = h.dataOffset ?? attached.count
            let region = UnsafeRawBufferPointer(rebasing: attached[start...])
            return try decode(region, header: h, count: count, dataPath: h.path, files: 1)
        }
        guard count % h.dataFiles.count == 0 else {
            throw KiraError.unsupportedFormat(path: h.path, reason: "field data file: \(count) voxels cannot be split evenly over \(h.dataFiles.count) files")
        }
        let perFile = count / h.dataFiles.count
        var parts: [VoxelBuffer] = []
        for url in h.dataFiles {
            let data = try readFile(url.path)
            let part = try data.withUnsafeBytes { try decode($0, header: h, count: perFile, dataPath: url.path, files: h.dataFiles.count) }
            parts.append(part)
        }
        return parts.count == 1 ? parts[0] : concatenate(parts)
    }

    /// Applies line skip and byte skip to one data region and decodes `count` values from it.
    private static func decode(_ region: UnsafeRawBufferPointer, header h: NRRDHeader, count: Int,
                               dataPath: String, files: Int) throws -> VoxelBuffer {
        var offset = 0
        for n in 0..<h.lineSkip {
            while offset < region.count, region[offset] != 0x0A { offset += 1 }
            guard offset < region.count else {
                throw KiraError.truncated(path: dataPath, reason: "ends inside line \(n + 1) of the \(h.lineSkip) lines to skip (field line skip)")
            }
            offset += 1
        }
        let bytesNeeded = count * h.type.byteSize
        let context = dataPath == h.path ? "" : " (data file of \(h.path))"
        switch h.encoding {
        case .raw:
            var start = offset + h.byteSkip
            if h.byteSkip == -1 { start = region.count - bytesNeeded }
            let available = region.count - max(start, offset)
            guard start >= offset, available >= bytesNeeded else {
                let have = max(0, region.count - max(start, offset))
                throw KiraError.truncated(path: dataPath, reason: "\(have) bytes of voxel data\(context), the header declares \(bytesNeeded) (sizes \(h.sizes.map(String.init).joined(separator: " ")), type \(h.type.rawValue))")
            }
            return convert(UnsafeRawBufferPointer(rebasing: region[start..<(start + bytesNeeded)]), type: h.type, count: count, bigEndian: h.bigEndian)
        case .gzip:
            let compressed = UnsafeRawBufferPointer(rebasing: region[offset...])
            let swap = h.bigEndian != (1.bigEndian == 1)
            if h.byteSkip == 0, !swap || h.type.byteSize == 1 {
                // Straight into the voxel array: no zeroed byte buffer, no second copy.
                func direct<T>(_: T.Type) throws -> [T] {
                    try [T](unsafeUninitializedCapacity: count) { buf, initialised in
                        do {
                            try Zlib.inflate(compressed, into: UnsafeMutableRawBufferPointer(buf), path: dataPath)
                        } catch let KiraError.truncated(p, reason) {
                            throw KiraError.truncated(path: p, reason: reason + context + " (sizes \(h.sizes.map(String.init).joined(separator: " ")), type \(h.type.rawValue))")
                        }
                        initialised = count
                    }
                }
                switch h.type {
                case .uint8: return .uint8(try direct(UInt8.self))
                case .int16: return .int16(try direct(Int16.self))
                case .uint16: return .uint16(try direct(UInt16.self))
                case .int32: return .int32(try direct(Int32.self))
                case .float32: return .float32(try direct(Float.self))
                case .float64: return .float64(try direct(Double.self))
                default: break
                }
            }
            let bytes: [UInt8]
            do {
                bytes = try Zlib.inflate(compressed, skip: h.byteSkip, expected: bytesNeeded, path: dataPath)
            } catch let KiraError.truncated(p, reason) {
                throw KiraError.truncated(path: p, reason: reason + context + " (sizes \(h.sizes.map(String.init).joined(separator: " ")), type \(h.type.rawValue))")
            }
            return bytes.withUnsafeBytes { convert($0, type: h.type, count: count, bigEndian: h.bigEndian) }
        case .hex:
            var bytes = [UInt8]()
            bytes.reserveCapacity(bytesNeeded)
            var high: UInt8?
            var i = offset + max(0, h.byteSkip)
            while i < region.count, bytes.count < bytesNeeded {
                let c = region[i]
                i += 1
                let v: UInt8
                switch c {
                case 0x30...0x39: v = c - 0x30
                case 0x41...0x46: v = c - 0x41 + 10
                case 0x61...0x66: v = c - 0x61 + 10
                case 0x20, 0x09, 0x0A, 0x0D: continue
                default:
                    throw KiraError.unreadable(path: dataPath, reason: "invalid character in hex-encoded data at byte \(i - 1)")
                }
                if let hi = high { bytes.append(hi << 4 | v); high = nil } else { high = v }
            }
            guard bytes.count == bytesNeeded else {
                throw KiraError.truncated(path: dataPath, reason: "hex data holds \(bytes.count) bytes\(context), the header declares \(bytesNeeded)")
            }
            return bytes.withUnsafeBytes { convert($0, type: h.type, count: count, bigEndian: h.bigEndian) }
        case .text:
            return try parseText(UnsafeRawBufferPointer(rebasing: region[(offset + max(0, h.byteSkip))...]),
                                 type: h.type, count: count, path: dataPath, context: context)
        }
    }

    private static func load<T: FixedWidthInteger>(_ raw: UnsafeRawBufferPointer, _ count: Int, swap: Bool, as _: T.Type) -> [T] {
        var out = [T](repeating: 0, count: count)
        out.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw.prefix(count * MemoryLayout<T>.size))) }
        if swap { for i in out.indices { out[i] = out[i].byteSwapped } }
        return out
    }

    static func convert(_ raw: UnsafeRawBufferPointer, type: NRRDScalar, count: Int, bigEndian: Bool) -> VoxelBuffer {
        let hostBig = 1.bigEndian == 1
        let swap = bigEndian != hostBig
        switch type {
        case .int8: return .int16(load(raw, count, swap: false, as: Int8.self).map(Int16.init))
        case .uint8: return .uint8(load(raw, count, swap: false, as: UInt8.self))
        case .int16: return .int16(load(raw, count, swap: swap, as: Int16.self))
        case .uint16: return .uint16(load(raw, count, swap: swap, as: UInt16.self))
        case .int32: return .int32(load(raw, count, swap: swap, as: Int32.self))
        case .uint32: return .float64(load(raw, count, swap: swap, as: UInt32.self).map { Double($0) })
        case .int64: return .float64(load(raw, count, swap: swap, as: Int64.self).map { Double($0) })
        case .uint64: return .float64(load(raw, count, swap: swap, as: UInt64.self).map { Double($0) })
        case .float32: return .float32(load(raw, count, swap: swap, as: UInt32.self).map(Float.init(bitPattern:)))
        case .float64: return .float64(load(raw, count, swap: swap, as: UInt64.self).map(Double.init(bitPattern:)))
        }
    }

    private static func parseText(_ region: UnsafeRawBufferPointer, type: NRRDScalar, count: Int,
                                  path: String, context: String) throws -> VoxelBuffer {
        var values = [Double]()
        values.reserveCapacity(count)
        var i = 0
        var token = [UInt8]()
        func flush() throws {
            guard !token.isEmpty else { return }
            let s = String(decoding: token, as: UTF8.self)
            token.removeAll(keepingCapacity: true)
            guard let v = Double(s) else {
                throw KiraError.unreadable(path: path, reason: "text-encoded data holds \"\(s)\", not a number")
            }
            values.append(v)
        }
        while i < region.count, values.count < count {
            let c = region[i]
            i += 1
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x2C { try flush() } else { token.append(c) }
        }
        if values.count < count { try flush() }
        guard values.count >= count else {
            throw KiraError.truncated(path: path, reason: "text data holds \(values.count) values\(context), the header declares \(count)")
        }
        switch type {
        case .int8: return .int16(values.map { Int16(clamping: Int64($0)) })
        case .uint8: return .uint8(values.map { UInt8(clamping: Int64($0)) })
        case .int16: return .int16(values.map { Int16(clamping: Int64($0)) })
        case .uint16: return .uint16(values.map { UInt16(clamping: Int64($0)) })
        case .int32: return .int32(values.map { Int32(clamping: Int64($0)) })
        case .float32: return .float32(values.map { Float($0) })
        case .uint32, .int64, .uint64, .float64: return .float64(values)
        }
    }

    private static func concatenate(_ parts: [VoxelBuffer]) -> VoxelBuffer {
        func join<T>(_ extract: (VoxelBuffer) -> [T]?) -> [T] {
            var out: [T] = []
            for p in parts { out.append(contentsOf: extract(p) ?? []) }
            return out
        }
        switch parts[0] {
        case .uint8: return .uint8(join { if case let .uint8(a) = $0 { return a }; return nil })
        case .int16: return .int16(join { if case let .int16(a) = $0 { return a }; return nil })
        case .uint16: return .uint16(join { if case let .uint16(a) = $0 { return a }; return nil })
        case .int32: return .int32(join { if case let .int32(a) = $0 { return a }; return nil })
        case .float32: return .float32(join { if case let .float32(a) = $0 { return a }; return nil })
        case .float64: return .float64(join { if case let .float64(a) = $0 { return a }; return nil })
        }
    }

    /// [lead][spatial][rest] (lead fastest) → [spatial][lead + rest] (spatial fastest).
    static func moveLeadingAxisToTime(_ v: VoxelBuffer, lead: Int, spatialCount: Int) -> VoxelBuffer {
        func move<T>(_ a: [T]) -> [T] {
            let rest = a.count / (lead * spatialCount)
            var out = a
            for r in 0..<rest {
                for s in 0..<spatialCount {
                    let src = (r * spatialCount + s) * lead
                    for l in 0..<lead { out[((r * lead + l) * spatialCount) + s] = a[src + l] }
                }
            }
            return out
        }
        switch v {
        case let .uint8(a): return .uint8(move(a))
        case let .int16(a): return .int16(move(a))
        case let .uint16(a): return .uint16(move(a))
        case let .int32(a): return .int32(move(a))
        case let .float32(a): return .float32(move(a))
        case let .float64(a): return .float64(move(a))
        }
    }

    static func metadata(_ h: NRRDHeader, url: URL) -> [String: MetaValue] {
        var m: [String: MetaValue] = [
            "SourceFile": .string(url.lastPathComponent),
            "NRRDType": .string(h.type.rawValue),
            "NRRDEncoding": .string(h.encoding.rawValue),
            "NRRDSpace": .string(h.spaceName),
        ]
        if let k = h.fields["kinds"] { m["NRRDKinds"] = .string(k) }
        if h.type == .uint32 || h.type == .int64 || h.type == .uint64 {
            m["StoredAs"] = .string("float64 (from \(h.type.rawValue); exact up to 2^53)")
        }
        if h.type == .int8 { m["StoredAs"] = .string("int16 (from int8)") }
        if h.leadingAxisToTime { m["NRRDLeadingAxis"] = .string("non-spatial first axis moved to time") }
        return m
    }
}
