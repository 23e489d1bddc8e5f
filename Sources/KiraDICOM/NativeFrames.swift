import Foundation

/// Frames of native (uncompressed, little-endian) greyscale pixel data, read straight from
/// the file at the offset the scan recorded. Without this, every file that did not fit the
/// scan's open budget was parsed by dcmtk a second time only to copy these bytes, and the
/// larger the archive, the smaller the share of its files that fit (16 copies of the
/// reference archive: nearly all). The bytes are those dcmtk's frame decoder returns for
/// such data on a little-endian host (x86-64, arm64); when the file cannot give them (a
/// short read), the caller leaves the frame to dcmtk, which says why.
final class NativeFrames {
    private let path: String
    private let offset: Int
    private let frames: Int
    let frameBytes: Int
    private var fd: Int32 = -1

    init?(_ header: FileHeader) {
        guard let offset = header.pixelDataOffset, let bytes = Self.frameBytes(header) else { return nil }
        path = header.path
        self.offset = offset
        frames = header.numberOfFrames
        frameBytes = bytes
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// One stored frame's bytes, as dcmtk sizes it; nil for what is not read this way
    /// (colour and palette images, samples of other than 1, 2 or 4 bytes).
    static func frameBytes(_ h: FileHeader) -> Int? {
        guard h.samplesPerPixel == 1, [8, 16, 32].contains(h.bitsAllocated), h.photometric != "PALETTE COLOR",
              h.storedRows > 0, h.storedColumns > 0 else { return nil }
        let (pixels, o1) = h.storedRows.multipliedReportingOverflow(by: h.storedColumns)
        let (bytes, o2) = pixels.multipliedReportingOverflow(by: h.bitsAllocated / 8)
        return o1 || o2 ? nil : bytes
    }

    /// The offset the scan records for `h`, when its frames can be read this way from `f`.
    static func offset(of h: FileHeader, in f: DcmtkFile) -> Int? {
        guard let bytes = frameBytes(h) else { return nil }
        return f.nativePixelOffset(frameBytes: bytes, frames: h.numberOfFrames)
    }

    /// Reads bytes [start, start + count) of frame `frame` into `dest`; false when they are
    /// outside the frame or the file does not give them.
    func read(frame: Int, from start: Int = 0, count: Int, into dest: UnsafeMutableRawPointer) -> Bool {
        guard frame >= 0, frame < frames, start >= 0, count >= 0, count <= frameBytes - start else { return false }
        if fd < 0 {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return false }
        }
        let base = offset + frame * frameBytes + start
        var done = 0
        while done < count {
            let r = pread(fd, dest + done, count - done, off_t(base + done))
            if r < 0 && errno == EINTR { continue }
            guard r > 0 else { return false }
            done += r
        }
        return true
    }
}
