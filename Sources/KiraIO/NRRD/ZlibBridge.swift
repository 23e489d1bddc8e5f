import CZlib
import Foundation
import KiraCore

/// The only Swift owner of a `z_stream`: allocated at a stable address, initialised for
/// zlib or gzip input (`inflateInit2` with 15+32 detects either header), ended and freed on deinit.
final class ZlibInflater {
    private let stream: UnsafeMutablePointer<z_stream>

    init(path: String) throws {
        stream = try zlibStream(start: { inflateInit2_($0, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) }) {
            KiraError.unreadable(path: path, reason: "zlib could not be initialised (status \($0))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }


    /// Inflates `input` into `output` until `output` is full or the input is exhausted.
    /// Concatenated gzip members are followed. Corrupt data throws `.unreadable`.
    func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                 path: String) throws -> (produced: Int, streamEnded: Bool) {
        var consumed = 0
        return try inflate(input, consumed: &consumed, into: output, path: path)
    }

    /// `inflate` continuing from `consumed` bytes into `input`, which it advances: an output
    /// buffer smaller than the data can be filled again and again (chunked decoding).
    func inflate(_ input: UnsafeRawBufferPointer, consumed: inout Int, into output: UnsafeMutableRawBufferPointer,
                 path: String) throws -> (produced: Int, streamEnded: Bool) {
        guard output.count > 0 else { return (0, false) }
        var produced = 0
        var ended = false
        let maxChunk = Int(UInt32.max / 2)
        while produced < output.count {
            let availIn = min(input.count - consumed, maxChunk)
            let availOut = min(output.count - produced, maxChunk)
            stream.pointee.next_in = availIn > 0
                ? UnsafeMutablePointer(mutating: input.baseAddress!.advanced(by: consumed).assumingMemoryBound(to: Bytef.self))
                : nil
            stream.pointee.avail_in = uInt(availIn)
            stream.pointee.next_out = output.baseAddress!.advanced(by: produced).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(availOut)
            let status = CZlib.inflate(stream, Z_NO_FLUSH)
            consumed += availIn - Int(stream.pointee.avail_in)
            produced += availOut - Int(stream.pointee.avail_out)
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                ended = true
                // Another gzip member may follow (as `cat a.gz b.gz` makes).
                if consumed < input.count, produced < output.count {
                    guard inflateReset(stream) == Z_OK else { return (produced, true) }
                    ended = false
                    continue
                }
                return (produced, ended)
            case Z_BUF_ERROR:
                // No progress possible: the input ran out before the stream's end.
                return (produced, false)
            case Z_DATA_ERROR:
                let msg = stream.pointee.msg.map { String(cString: $0) } ?? "invalid compressed data"
                throw KiraError.unreadable(path: path, reason: "corrupt gzip data: \(msg)")
            case Z_MEM_ERROR:
                throw KiraError.unreadable(path: path, reason: "zlib ran out of memory")
            default:
                let msg = stream.pointee.msg.map { String(cString: $0) } ?? "status \(status)"
                throw KiraError.unreadable(path: path, reason: "zlib: \(msg)")
            }
        }
        return (produced, ended)
    }
}

enum Zlib {
    /// Decompresses gzip (or zlib) `input` into `output`, which it must fill exactly: by
    /// libdeflate when it can, else by zlib, whose errors name what is wrong.
    static func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, path: String) throws {
        if let d = DeflateDecompressor(), d.inflate(input, into: output) { return }
        let inflater = try ZlibInflater(path: path)
        let r = try inflater.inflate(input, into: output, path: path)
        guard r.produced == output.count else {
            let cut = r.streamEnded ? "" : " (compressed stream cut short)"
            throw KiraError.truncated(path: path, reason: "gzip data holds \(r.produced) bytes of voxels, header declares \(output.count)\(cut)")
        }
    }

    /// Decompresses gzip (or zlib) `input` and returns the `expected` bytes that follow the
    /// first `skip` decompressed bytes; a stream that ends early is `.truncated`.
    static func inflate(_ input: UnsafeRawBufferPointer, skip: Int, expected: Int, path: String) throws -> [UInt8] {
        let inflater = try ZlibInflater(path: path)
        var out = [UInt8](repeating: 0, count: skip + expected)
        let r = try out.withUnsafeMutableBytes { try inflater.inflate(input, into: $0, path: path) }
        guard r.produced == skip + expected else {
            let got = max(0, r.produced - skip)
            let skipped = skip > 0 ? " after the byte skip of \(skip)" : ""
            let cut = r.streamEnded ? "" : " (compressed stream cut short)"
            throw KiraError.truncated(path: path, reason: "gzip data holds \(got) bytes of voxels\(skipped), header declares \(expected)\(cut)")
        }
        if skip > 0 { out.removeFirst(skip) }
        return out
    }
}

/// The only Swift owner of a compressing `z_stream`: raw deflate (no zlib or gzip wrapper,
/// which the caller writes), zlib's default level as gzip files get from niftilib. One
/// thread at a time.
final class ZlibDeflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private var out = [UInt8](repeating: 0, count: 1 << 16)

    init(path: String) throws {
        stream = try zlibStream(start: {
            deflateInit2_($0, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        }) { KiraError.writeFailed(path: path, reason: "zlib could not be initialised (status \($0))") }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Compresses `input` as a piece of a raw deflate stream that others may follow: from
    /// a fresh state (no history), ending in a sync flush (byte-aligned, no final block), so
    /// pieces compressed apart, on any thread, can be joined in order.
    func compressPiece(_ input: UnsafeRawBufferPointer, path: String) throws -> [UInt8] {
        guard deflateReset(stream) == Z_OK else {
            throw KiraError.writeFailed(path: path, reason: "zlib could not be reset")
        }
        var result: [UInt8] = []
        result.reserveCapacity(Int(deflateBound(stream, uLong(input.count))) + 16)
        var consumed = 0
        let maxChunk = Int(UInt32.max / 2)
        repeat {
            let availIn = min(input.count - consumed, maxChunk)
            let last = consumed + availIn == input.count
            stream.pointee.next_in = availIn > 0
                ? UnsafeMutablePointer(mutating: input.baseAddress!.advanced(by: consumed).assumingMemoryBound(to: Bytef.self))
                : nil
            stream.pointee.avail_in = uInt(availIn)
            repeat {
                let produced: Int = try out.withUnsafeMutableBytes { o in
                    stream.pointee.next_out = o.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.pointee.avail_out = uInt(o.count)
                    let status = CZlib.deflate(stream, last ? Z_SYNC_FLUSH : Z_NO_FLUSH)
                    guard status == Z_OK || status == Z_BUF_ERROR else {
                        throw KiraError.writeFailed(path: path, reason: "zlib could not compress (status \(status))")
                    }
                    return o.count - Int(stream.pointee.avail_out)
                }
                result += out[0..<produced]
            } while stream.pointee.avail_out == 0
            consumed += availIn - Int(stream.pointee.avail_in)
        } while consumed < input.count
        return result
    }
}

/// A `z_stream` at a stable address, set up by `start` (zlib's init call, returning its
/// status). On failure it is freed and `failure(status)` thrown, before any owner exists, so
/// an owner's deinit only ever ends a stream that started.
private func zlibStream(start: (UnsafeMutablePointer<z_stream>) -> Int32,
                        failure: (Int32) -> KiraError) throws -> UnsafeMutablePointer<z_stream> {
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    let status = start(stream)
    guard status == Z_OK else {
        stream.deinitialize(count: 1)
        stream.deallocate()
        throw failure(status)
    }
    return stream
}

extension Zlib {
    /// CRC-32 (gzip's) of `bytes`, continuing from `crc`.
    static func crc32(_ bytes: UnsafeRawBufferPointer, _ crc: UInt = 0) -> UInt {
        var c = crc
        var at = 0
        while at < bytes.count {
            let n = min(bytes.count - at, Int(UInt32.max / 2))
            c = CZlib.crc32(c, bytes.baseAddress!.advanced(by: at).assumingMemoryBound(to: Bytef.self), uInt(n))
            at += n
        }
        return c
    }

    /// The CRC-32 of A followed by B from the CRCs of both and B's length.
    static func crc32Combine(_ a: UInt, _ b: UInt, lengthOfB: Int) -> UInt {
        CZlib.crc32_combine(a, b, off_t(lengthOfB))
    }
}
