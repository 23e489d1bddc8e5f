import Foundation
import KiraCore

/// The body of a `.nii.gz` written frame by frame: one gzip member whose first deflate block
/// is a stored (uncompressed) block holding the 352 header bytes, so the header can be
/// written in place after the voxels, once the data type is settled; the voxels follow as
/// compressed blocks, in storage order. Frames that arrive early wait in memory until the
/// frames before them are in (a reader hands them out roughly in order, so few wait).
/// Not thread-safe: the writer calls it under its lock.
final class GzipFrameBody {
    /// gzip header (no name, no time, Unix), then the stored block's header: not final,
    /// type 00, then LEN and its complement for 352 bytes.
    static let prefix: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3,
                                  0x00, 0x60, 0x01, 0x9F, 0xFE]

    private struct Waiting {
        var bytes: [UInt8]
        /// Bytes from the frame's start known to have no gap (pieces arriving in order extend
        /// it; pieces out of order count only once the frame is complete).
        var contiguous = 0
        var received = 0
    }

    private let fd: Int32
    private let path: String
    private let frameBytes: Int
    private let frames: Int
    private let deflater: ZlibDeflater
    private var nextFrame = 0
    private var nextOffset = 0
    private var waiting: [Int: Waiting] = [:]
    private var crc: UInt = 0
    private var length = 0
    private var fileOffset = 0

    init(fd: Int32, path: String, frameBytes: Int, frames: Int) throws {
        self.fd = fd
        self.path = path
        self.frameBytes = frameBytes
        self.frames = frames
        deflater = try ZlibDeflater(path: path)
        try append(Self.prefix.withUnsafeBytes { Array($0) })
        try append([UInt8](repeating: 0, count: NIfTIFrameWriter.voxelOffset))
    }

    /// Where the header's bytes go in the file.
    static var headerOffset: Int { prefix.count }

    func write(frame index: Int, at offset: Int, _ bytes: UnsafeRawBufferPointer) throws {
        if index == nextFrame && offset == nextOffset && waiting[index] == nil {
            try compress(bytes)
            nextOffset += bytes.count
            try advance()
            return
        }
        if index < nextFrame || (index == nextFrame && offset < nextOffset) {
            // Bytes already compressed again (a reader starting a frame over): same values.
            let overlap = index < nextFrame ? bytes.count : min(bytes.count, nextOffset - offset)
            if overlap == bytes.count { return }
            try write(frame: index, at: offset + overlap, UnsafeRawBufferPointer(rebasing: bytes[overlap...]))
            return
        }
        var w = waiting[index] ?? Waiting(bytes: [UInt8](repeating: 0, count: frameBytes))
        w.bytes.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: offset).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        if offset <= w.contiguous { w.contiguous = max(w.contiguous, offset + bytes.count) }
        w.received += bytes.count
        waiting[index] = w
        try advance()
    }

    /// Compresses what has become next: the rest of complete frames, or the gap-free start
    /// of the next frame when only that has arrived.
    private func advance() throws {
        while true {
            if nextOffset == frameBytes {
                nextFrame += 1
                nextOffset = 0
            }
            guard nextFrame < frames, let w = waiting[nextFrame] else { return }
            let complete = w.received >= frameBytes
            let end = complete ? frameBytes : w.contiguous
            guard end > nextOffset else { return }
            try w.bytes.withUnsafeBytes { try compress(UnsafeRawBufferPointer(rebasing: $0[nextOffset..<end])) }
            nextOffset = end
            if nextOffset == frameBytes || w.received == w.contiguous {
                // Later pieces of this frame will come in order: nothing more to keep.
                waiting[nextFrame] = nil
            }
        }
    }

    var complete: Bool { nextFrame == frames }

    /// The first frame not yet compressed.
    var missingFrame: Int { nextFrame }

    /// Ends the stream; `header` (352 bytes) goes in place and the trailer is appended.
    func finish(header: [UInt8]) throws {
        try deflater.deflate(UnsafeRawBufferPointer(start: nil, count: 0), finish: true, path: path) { try append($0) }
        let headerCRC = header.withUnsafeBytes { Zlib.crc32($0) }
        let total = Zlib.crc32Combine(headerCRC, crc, lengthOfB: length)
        let size = UInt32(truncatingIfNeeded: header.count + length)
        var trailer = [UInt8]()
        for v in [UInt32(truncatingIfNeeded: total), size] {
            trailer += (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) }
        }
        try append(trailer)
        try header.withUnsafeBytes { try NIfTIFrameWriter.writeFully(fd, $0, at: Self.headerOffset, path: path) }
    }

    private func compress(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        crc = Zlib.crc32(bytes, crc)
        length += bytes.count
        try deflater.deflate(bytes, finish: false, path: path) { try append($0) }
    }

    private func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }

    private func append(_ bytes: UnsafeRawBufferPointer) throws {
        try NIfTIFrameWriter.writeFully(fd, bytes, at: fileOffset, path: path)
        fileOffset += bytes.count
    }
}
