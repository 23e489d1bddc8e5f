import Foundation
import KiraCore

/// Kira's 64-bit content hash of input files (image, mask, habitat map, settings file), as 16
/// hex digits: it names the inputs in provenance and decides whether a finished cohort case is
/// reused. Byte-serial FNV-1a (one dependent multiply per byte) took an eighth of a cohort's
/// CPU time on 1 mm images; this takes 32 bytes per step in four independent lanes, each lane
/// every fourth little-endian 64-bit word, so the multiplies overlap and it runs near memory
/// speed.
///
/// A lane step, x = (lane ⊕ word) · P then x ⊕ (x >> 31), is a bijection of the word for a
/// given lane, so inputs that differ in one block differ in that lane after it. A last partial
/// block is zero-padded; the byte count, mixed in at the end, tells "ab" from "ab\0".
public struct InputHash {
    static let prime: UInt64 = 0x9E37_79B9_7F4A_7C15
    private var a: UInt64 = 0x243F_6A88_85A3_08D3, b: UInt64 = 0x1319_8A2E_0370_7344
    private var c: UInt64 = 0xA409_3822_299F_31D0, d: UInt64 = 0x082E_FA98_EC4E_6C89
    /// Bytes of an unfinished block, carried to the next `update`.
    private var pending: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var pendingCount = 0
    private var count: UInt64 = 0

    public init() {}

    @inline(__always)
    private static func step(_ lane: UInt64, _ word: UInt64) -> UInt64 {
        let x = (lane ^ UInt64(littleEndian: word)) &* prime
        return x ^ (x &>> 31)
    }

    @inline(__always)
    private mutating func block(_ p: UnsafeRawPointer) {
        a = Self.step(a, p.loadUnaligned(as: UInt64.self))
        b = Self.step(b, p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        c = Self.step(c, p.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        d = Self.step(d, p.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        count &+= UInt64(bytes.count)
        var at = 0
        if pendingCount > 0 {
            let take = min(32 - pendingCount, bytes.count)
            withUnsafeMutableBytes(of: &pending) { $0.baseAddress!.advanced(by: pendingCount).copyMemory(from: base, byteCount: take) }
            pendingCount += take
            at = take
            guard pendingCount == 32 else { return }
            var full = pending
            withUnsafeBytes(of: &full) { block($0.baseAddress!) }
            pending = (0, 0, 0, 0)
            pendingCount = 0
        }
        while at + 32 <= bytes.count {
            block(base + at)
            at += 32
        }
        if at < bytes.count {
            pendingCount = bytes.count - at
            withUnsafeMutableBytes(of: &pending) { $0.baseAddress!.copyMemory(from: base + at, byteCount: pendingCount) }
        }
    }

    /// The hash of everything given to `update`, as 16 lower-case hex digits.
    public func finish() -> String {
        var last = self
        if pendingCount > 0 {
            var tail = pending
            withUnsafeBytes(of: &tail) { last.block($0.baseAddress!) }
        }
        var h = count &* Self.prime
        for lane in [last.a, last.b, last.c, last.d] { h = Self.step(h, lane) }
        // A final avalanche, so that every input bit can reach every output bit.
        h ^= h &>> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h &>> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h &>> 33
        return String(h, radix: 16).leftPad(16)
    }

    public static func hash(_ data: Data) -> String {
        var h = InputHash()
        data.withUnsafeBytes { h.update($0) }
        return h.finish()
    }

    /// The hash of a file's bytes, read through one 256 KiB buffer: hashing runs beside the
    /// extraction, so it must not hold a second copy of the file.
    public static func hash(file url: URL) throws -> String {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw KiraError.unreadable(path: url.path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let capacity = 1 << 18
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 32)
        defer { buffer.deallocate() }
        var h = InputHash()
        while true {
            let n = read(fd, buffer.baseAddress, capacity)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw KiraError.unreadable(path: url.path, reason: String(cString: strerror(errno))) }
            if n == 0 { break }
            h.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return h.finish()
    }
}
