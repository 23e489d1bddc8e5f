import CDcmtk
import Foundation
import KiraCore

/// Outcome of a failed dcmtk call, before it is turned into a `KiraError` naming the file.
enum DcmtkFailure: Error {
    case notDICOM(String)
    case truncated(String)
    case notFound(String)
    case other(String)
}

/// Owns one dcmtk file handle. Not thread-safe: use one instance per thread.
final class DcmtkFile {
    private let handle: OpaquePointer
    let path: String

    /// Opens `url`; values longer than `maxReadLength` bytes stay on disk until decoded
    /// (0 loads everything).
    init(url: URL, maxReadLength: UInt32 = 4096) throws(DcmtkFailure) {
        path = url.path
        var out: OpaquePointer?
        var msg = [CChar](repeating: 0, count: 512)
        let rc = kira_dcm_open(url.path, maxReadLength, &out, &msg, msg.count)
        guard rc == Int32(KIRA_DCM_OK), let out else {
            throw Self.failure(rc, cText(msg))
        }
        handle = out
    }

    deinit { kira_dcm_close(handle) }

    private static func failure(_ rc: Int32, _ msg: String) -> DcmtkFailure {
        switch Int(rc) {
        case Int(KIRA_DCM_NOT_DICOM): .notDICOM(msg)
        case Int(KIRA_DCM_TRUNCATED): .truncated(msg)
        case Int(KIRA_DCM_NOT_FOUND): .notFound(msg)
        default: .other(msg)
        }
    }

    var transferSyntax: String {
        var buf = [CChar](repeating: 0, count: 128)
        var msg = [CChar](repeating: 0, count: 256)
        _ = kira_dcm_transfer_syntax(handle, &buf, buf.count, &msg, msg.count)
        return cText(buf)
    }

    /// Reused by `string` (the handle belongs to one thread), so a header read does not
    /// allocate per attribute.
    private var valueBuffer = [CChar](repeating: 0, count: 512)
    private var messageBuffer = [CChar](repeating: 0, count: 256)

    /// The value at a dcmtk attribute path, nil when absent; multiple values joined by "\",
    /// surrounding spaces and tabs removed.
    func string(_ path: String) -> String? {
        var needed = 0
        var rc = call(path, &needed)
        if rc == Int32(KIRA_DCM_TOO_SMALL) {
            valueBuffer = [CChar](repeating: 0, count: needed + 1)
            rc = call(path, &needed)
        }
        guard rc == Int32(KIRA_DCM_OK) else { return nil }
        return valueBuffer.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: UInt8.self) { bytes in
                var end = 0
                while end < bytes.count && bytes[end] != 0 { end += 1 }
                var start = 0
                while start < end && (bytes[start] == 0x20 || bytes[start] == 0x09) { start += 1 }
                while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            }
        }
    }

    private func call(_ path: String, _ needed: inout Int) -> Int32 {
        let h = handle
        return valueBuffer.withUnsafeMutableBufferPointer { b in
            messageBuffer.withUnsafeMutableBufferPointer { m in
                kira_dcm_get_string(h, path, b.baseAddress, b.count, &needed, m.baseAddress, m.count)
            }
        }
    }

    func sequenceCount(_ path: String) -> Int {
        var n = 0
        var msg = [CChar](repeating: 0, count: 256)
        _ = kira_dcm_sequence_count(handle, path, &n, &msg, msg.count)
        return n
    }

    func uint16Array(_ path: String) -> [UInt16]? {
        var count = 0
        var msg = [CChar](repeating: 0, count: 256)
        var buf = [UInt16](repeating: 0, count: 65536)
        var rc = kira_dcm_get_uint16_array(handle, path, &buf, buf.count, &count, &msg, msg.count)
        if rc == Int32(KIRA_DCM_TOO_SMALL) {
            buf = [UInt16](repeating: 0, count: count)
            rc = kira_dcm_get_uint16_array(handle, path, &buf, buf.count, &count, &msg, msg.count)
        }
        guard rc == Int32(KIRA_DCM_OK) else { return nil }
        return Array(buf.prefix(count))
    }

    /// Decodes frame `frame` (0-based) into `dest`; returns the decoded colour model.
    func decodeFrame(_ frame: Int, into dest: UnsafeMutableRawBufferPointer) throws(DcmtkFailure) -> String {
        var model = [CChar](repeating: 0, count: 64)
        var msg = [CChar](repeating: 0, count: 512)
        let rc = kira_dcm_decode_frame(handle, UInt32(frame), dest.baseAddress, dest.count, &model, model.count, &msg, msg.count)
        guard rc == Int32(KIRA_DCM_OK) else { throw Self.failure(rc, cText(msg)) }
        return cText(model)
    }

    /// Decodes a greyscale frame in bands of about `bandBytes`, calling `body(samples, first,
    /// count)` for each in order (stored values, native byte order). False, before any band,
    /// when the frame cannot be decoded that way; an error thrown by `body` stops decoding
    /// and is rethrown.
    func decodeFrameBands(_ frame: Int, bandBytes: Int,
                          _ body: (UnsafeRawPointer, Int, Int) throws -> Void) throws -> Bool {
        final class Context {
            let body: (UnsafeRawPointer, Int, Int) throws -> Void
            var error: Error?
            init(_ body: @escaping (UnsafeRawPointer, Int, Int) throws -> Void) { self.body = body }
        }
        return try withoutActuallyEscaping(body) { escaping in
            let context = Context(escaping)
            var msg = [CChar](repeating: 0, count: 512)
            let rc = withExtendedLifetime(context) {
                kira_dcm_decode_frame_bands(handle, UInt32(frame), bandBytes, { ctx, samples, first, count in
                    let c = Unmanaged<Context>.fromOpaque(ctx!).takeUnretainedValue()
                    do {
                        try c.body(samples!, first, count)
                        return 0
                    } catch {
                        c.error = error
                        return 1
                    }
                }, Unmanaged.passUnretained(context).toOpaque(), &msg, msg.count)
            }
            if let e = context.error { throw e }
            if rc == Int32(KIRA_DCM_UNSUPPORTED) { return false }
            guard rc == Int32(KIRA_DCM_OK) else { throw Self.failure(rc, cText(msg)) }
            return true
        }
    }

    /// Drops what decoding left behind (the open file, the frame position) so the handle can
    /// wait for another decoder; false when decoded pixel values would stay in memory
    /// (compressed data), in which case the handle should be closed instead.
    func releaseDecodingState() -> Bool {
        kira_dcm_release_decoding_state(handle) == 1
    }

    /// Roughly the bytes the parsed dataset holds in memory (loaded values plus a fixed
    /// cost per element).
    var residentEstimate: Int {
        let n = kira_dcm_resident_estimate(handle)
        return n > Int.max ? Int.max : Int(n)
    }

    /// Where native pixel data of `frames` frames of `frameBytes` bytes each starts in the
    /// file, when the frames can be read from there as dcmtk would give them; nil otherwise
    /// (see `kira_dcm_native_pixel_offset`).
    func nativePixelOffset(frameBytes: Int, frames: Int) -> Int? {
        var offset: UInt64 = 0
        guard frameBytes > 0, frames > 0, let n = UInt32(exactly: frames),
              kira_dcm_native_pixel_offset(handle, frameBytes, n, &offset) == Int32(KIRA_DCM_OK) else { return nil }
        return Int(exactly: offset)
    }

    /// The compressed bytes of one frame of encapsulated pixel data.
    func encapsulatedFrame(_ frame: Int, of frameCount: Int) throws(DcmtkFailure) -> [UInt8] {
        var data: UnsafeMutablePointer<UInt8>?
        var length = 0
        var msg = [CChar](repeating: 0, count: 512)
        let rc = kira_dcm_encapsulated_frame(handle, UInt32(frame), UInt32(frameCount), &data, &length, &msg, msg.count)
        guard rc == Int32(KIRA_DCM_OK), let data else { throw Self.failure(rc, cText(msg)) }
        defer { kira_dcm_free_buffer(data) }
        return Array(UnsafeBufferPointer(start: data, count: length))
    }

    /// The whole native Pixel Data value as bytes (for 1-bit segmentations).
    func pixelBytes() throws(DcmtkFailure) -> [UInt8] {
        var needed = 0
        var msg = [CChar](repeating: 0, count: 512)
        var buf = [UInt8]()
        var rc = kira_dcm_pixel_bytes(handle, nil, 0, &needed, &msg, msg.count)
        if rc == Int32(KIRA_DCM_TOO_SMALL) {
            buf = [UInt8](repeating: 0, count: needed)
            rc = kira_dcm_pixel_bytes(handle, &buf, buf.count, &needed, &msg, msg.count)
        }
        guard rc == Int32(KIRA_DCM_OK) else { throw Self.failure(rc, cText(msg)) }
        return buf
    }
}

/// A NUL-terminated C buffer as a String (dcmtk values are ASCII or UTF-8).
func cText(_ buf: [CChar]) -> String {
    String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
