import Foundation
import KiraCore

/// The body of a `.nii.gz` written frame by frame: one gzip member whose first deflate block
/// is a stored (uncompressed) block holding the 352 header bytes, so the header can be
/// written in place after the voxels, once the data type is settled. The voxels follow as
/// pieces compressed apart, each from a fresh state and ending byte-aligned (a sync flush,
/// as pigz joins its blocks), so every decoding thread compresses its own frames; the pieces
/// are appended in storage order and the stream ends with an empty final block. Pieces that
/// arrive early wait, compressed, until the ones before them are in.
final class GzipFrameBody: @unchecked Sendable {
    /// gzip header (no name, no time, Unix), then the stored block's header: not final,
    /// type 00, then LEN and its complement for 352 bytes.
    static let prefix: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3,
                                  0x00, 0x60, 0x01, 0x9F, 0xFE]
    /// A final fixed-Huffman block holding only its end code.
    static let finalBlock: [UInt8] = [0x03, 0x00]

    /// One compressed piece: `length` voxel bytes whose CRC-32 is `crc`.
    struct Piece {
        var compressed: [UInt8]
        var crc: UInt
        var length: Int
    }

    private let fd: Int32
    private let path: String
    private let frameBytes: Int
    private let frames: Int
    private let lock = NSLock()
    private var nextFrame = 0
    private var nextOffset = 0
    /// Early pieces by frame, then by offset in the frame.
    private var waiting: [Int: [Int: Piece]] = [:]
    private var crc: UInt = 0
    private var length = 0
    private var fileOffset = 0
    private let poolLock = NSLock()
    private var pool: [ZlibDeflater] = []

    init(fd: Int32, path: String, frameBytes: Int, frames: Int) throws {
        self.fd = fd
        self.path = path
        self.frameBytes = frameBytes
        self.frames = frames
        try append(Self.prefix)
        try append([UInt8](repeating: 0, count: NIfTIFrameWriter.voxelOffset))
    }

    /// Where the header's bytes go in the file.
    static var headerOffset: Int { prefix.count }

    /// Thread-safe: compresses on the calling thread, then places the piece.
    func write(frame index: Int, at offset: Int, _ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        let piece = try compress(bytes)
        lock.lock()
        defer { lock.unlock() }
        if index < nextFrame || (index == nextFrame && offset + bytes.count <= nextOffset) {
            return  // Already in: a reader starting a frame over sends the same values again.
        }
        if index == nextFrame && offset < nextOffset {
            // Partly in: only the rest, compressed again from the raw bytes.
            let rest = UnsafeRawBufferPointer(rebasing: bytes[(nextOffset - offset)...])
            waiting[index, default: [:]][nextOffset] = try compress(rest)
        } else if offset == 0 && bytes.count == frameBytes {
            waiting[index] = [0: piece]  // A whole frame replaces any pieces of it.
        } else {
            waiting[index, default: [:]][offset] = piece
        }
        try advance()
    }

    /// Appends every piece that has become next.
    private func advance() throws {
        while nextFrame < frames {
            if nextOffset == frameBytes {
                waiting[nextFrame] = nil
                nextFrame += 1
                nextOffset = 0
                continue
            }
            guard let piece = waiting[nextFrame]?.removeValue(forKey: nextOffset) else { return }
            try append(piece.compressed)
            crc = Zlib.crc32Combine(crc, piece.crc, lengthOfB: piece.length)
            length += piece.length
            nextOffset += piece.length
        }
    }

    /// The first frame not yet appended; nil once all are.
    var missingFrame: Int? { lock.lock(); defer { lock.unlock() }; return nextFrame < frames ? nextFrame : nil }

    /// Ends the stream; `header` (352 bytes) goes in place and the trailer is appended.
    func finish(header: [UInt8]) throws {
        try append(Self.finalBlock)
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

    private func compress(_ bytes: UnsafeRawBufferPointer) throws -> Piece {
        poolLock.lock()
        let reused = pool.popLast()
        poolLock.unlock()
        let deflater = try reused ?? ZlibDeflater(path: path)
        defer {
            poolLock.lock()
            pool.append(deflater)
            poolLock.unlock()
        }
        return Piece(compressed: try deflater.compressPiece(bytes, path: path), crc: Zlib.crc32(bytes), length: bytes.count)
    }

    private func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try NIfTIFrameWriter.writeFully(fd, $0, at: fileOffset, path: path) }
        fileOffset += bytes.count
    }
}
