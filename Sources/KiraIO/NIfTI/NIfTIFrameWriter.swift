import CNifti
import Foundation
import KiraCore

/// Writes a single-file `.nii` or `.nii.gz` frame by frame as a reader decodes it, so
/// converting a series needs memory for a few frames rather than the whole volume. Voxels
/// go to a hidden temporary file (at their final offsets, or compressed in storage order by
/// `GzipFrameBody`); `finish()` writes the header in front (the data type can depend on the
/// values, see `NIfTIWriter.fitsInt16`), checks it and renames the file into place. Until
/// then nothing exists under the destination name, and an unfinished writer removes its
/// temporary file.
public final class NIfTIFrameWriter: FrameSink, @unchecked Sendable {
    /// Where voxels start in a single-file NIfTI-1 without extensions (header + flag).
    static let voxelOffset = 352

    private let url: URL
    private let tmp: URL
    private let options: NIfTIWriter.Options
    private let lock = NSLock()
    private var fd: Int32 = -1
    private var header: VolumeHeader?
    private var frameBytes = 0
    /// Bytes received per frame of a raw body; a frame is complete once it has had all of
    /// its bytes.
    private var written: [Int] = []
    private var maxUInt16: UInt16 = 0
    private var finished = false
    private let gzip: Bool
    private var gzipBody: GzipFrameBody?

    public init(url: URL, options: NIfTIWriter.Options = .init()) throws {
        gzip = url.lastPathComponent.hasSuffix(".nii.gz")
        guard gzip || url.lastPathComponent.hasSuffix(".nii") else {
            throw KiraError.invalidArgument("\(url.path): NIfTI output must end in .nii or .nii.gz")
        }
        guard !AtomicOutput.isSpecialFile(url.path) else {
            throw KiraError.invalidArgument("\(url.path): frames can only be streamed to a regular file")
        }
        self.url = url
        self.tmp = AtomicOutput.temporaryPath(for: url)
        self.options = options
        InterruptCleanup.register(tmp)
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !finished {
            unlink(tmp.path)
            InterruptCleanup.unregister(tmp)
        }
    }

    public func begin(_ header: VolumeHeader) throws {
        // The header is built now too, so a grid niftilib cannot write fails before any decoding.
        _ = try NIfTIWriter.makeHeader(header, path: url.path, uint16FitsInt16: false, options: options)
        lock.lock()
        defer { lock.unlock() }
        if fd < 0 {
            fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
            guard fd >= 0 else { throw failure(errno) }
        } else if ftruncate(fd, 0) != 0 {
            throw failure(errno)
        }
        self.header = header
        frameBytes = header.frameValues * header.scalarType.byteSize
        written = Array(repeating: 0, count: header.frameCount)
        maxUInt16 = 0
        gzipBody = gzip ? try GzipFrameBody(fd: fd, path: url.path, frameBytes: frameBytes, frames: header.frameCount) : nil
    }

    public func write(frame index: Int, at byteOffset: Int, _ bytes: UnsafeRawBufferPointer) throws {
        guard let header, index >= 0, index < header.frameCount, byteOffset >= 0, byteOffset + bytes.count <= frameBytes else {
            throw KiraError.writeFailed(path: url.path,
                                        reason: "\(bytes.count) bytes at \(byteOffset) of frame \(index) do not fit the grid")
        }
        var top: UInt16 = 0
        if header.scalarType == .uint16 {
            top = NIfTIWriter.maxUInt16(bytes.bindMemory(to: UInt16.self))
        }
        // Neither needs this writer's lock: raw pieces go to disjoint offsets, and the gzip
        // body compresses on this thread and orders pieces under its own lock.
        if let gzipBody {
            try gzipBody.write(frame: index, at: byteOffset, bytes)
        } else {
            try Self.writeFully(fd, bytes, at: Self.voxelOffset + index * frameBytes + byteOffset, path: url.path)
        }
        lock.lock()
        defer { lock.unlock() }
        if gzipBody == nil { written[index] += bytes.count }
        maxUInt16 = max(maxUInt16, top)
    }

    /// Writes the header once every frame is in, then moves the file into place.
    public func finish() throws {
        guard let header, fd >= 0 else {
            throw KiraError.writeFailed(path: url.path, reason: "no frames were written")
        }
        // The gzip body knows which frames it has appended; raw frames are counted here.
        let missing: Int? = if let gzipBody { gzipBody.missingFrame } else { written.firstIndex { $0 < frameBytes } }
        if let missing {
            throw KiraError.writeFailed(path: url.path, reason: "frame \(missing) of \(header.frameCount) was never written")
        }
        let (h, dims) = try NIfTIWriter.makeHeader(header, path: url.path,
                                                   uint16FitsInt16: maxUInt16 <= UInt16(Int16.max), options: options)
        var prefix = [UInt8](repeating: 0, count: Self.voxelOffset)
        let n = kira_nifti_single_file_header(h.pointer, tmp.path, &prefix, Int32(prefix.count))
        guard Int(n) == Self.voxelOffset else {
            throw KiraError.writeFailed(path: url.path, reason: "niftilib placed the voxels at byte \(n), not \(Self.voxelOffset)")
        }
        if let gzipBody {
            try gzipBody.finish(header: prefix)
        } else {
            try prefix.withUnsafeBytes { try Self.writeFully(fd, $0, at: 0, path: url.path) }
            let end = off_t(Self.voxelOffset + header.frameCount * frameBytes)
            guard ftruncate(fd, end) == 0 else { throw failure(errno) }
        }
        let closed = close(fd)
        fd = -1
        guard closed == 0 else { throw failure(errno) }
        try NIfTIWriter.checkHeader(tmp.path, url, dims)
        let code = InterruptCleanup.commit(tmp, to: url)
        guard code == 0 else { throw failure(code) }
        finished = true
    }

    static func writeFully(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int, path: String) throws {
        var done = 0
        while done < bytes.count {
            let r = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if r < 0 {
                if errno == EINTR { continue }
                throw KiraError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            done += r
        }
    }

    private func failure(_ code: Int32) -> KiraError {
        .writeFailed(path: url.path, reason: String(cString: strerror(code)))
    }
}
