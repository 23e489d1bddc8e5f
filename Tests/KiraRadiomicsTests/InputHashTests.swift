import Foundation
import KiraRadiomics
import KiraTestSupport
import Testing

/// The input-file hash of provenance and cohort resume. The expected values come from an
/// independent Python implementation of the same definition (four lanes of little-endian
/// 64-bit words, (lane ⊕ word) · 0x9E3779B97F4A7C15 then x ⊕ (x >> 31), zero-padded last
/// block, byte count, final avalanche). Files are read in 256 KiB pieces and `update` may get
/// any split, so a file and every split of its bytes must hash as the bytes do in one go.
@Suite struct InputHashTests {
    @Test(arguments: [
        (Data(), "6347ca576089fe10"), (Data("a".utf8), "26700013eb13d52c"), (Data("foobar".utf8), "f69725cbc7b760e6"),
        (Data(0..<32), "857dd2e2ce120d50"), (Data(0..<100), "b4651ac43331de6a"),
        (Data("ab".utf8), "bd63e809d7145fc8"), (Data("ab\0".utf8), "451e9de72bd4e2e4"),
    ])
    func referenceValues(bytes: Data, expected: String) throws {
        #expect(InputHash.hash(bytes) == expected)
        let dir = try TestPaths.temporaryDirectory("input-hash")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("f.bin")
        try bytes.write(to: url)
        #expect(try InputHash.hash(file: url) == expected)
    }

    /// Piece boundaries (256 KiB) just before, at and after the end of the file.
    @Test(arguments: [262_143, 262_144, 262_145, 600_007])
    func filePiecesHashAsOneBuffer(count: Int) throws {
        var rng = SystemRandomNumberGenerator()
        let bytes = Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let dir = try TestPaths.temporaryDirectory("input-hash")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("f.bin")
        try bytes.write(to: url)
        #expect(try InputHash.hash(file: url) == InputHash.hash(bytes))
    }

    /// Splits that leave partial blocks of every length carried between updates.
    @Test func anySplitHashesAsOneBuffer() {
        let bytes = Data((0..<203).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
        let whole = InputHash.hash(bytes)
        for first in [0, 1, 7, 31, 32, 33, 64, 100, 202, 203] {
            for piece in [1, 5, 31, 32, 33] {
                var h = InputHash()
                bytes.withUnsafeBytes { b in
                    h.update(UnsafeRawBufferPointer(rebasing: b[0..<first]))
                    var at = first
                    while at < b.count {
                        let end = min(at + piece, b.count)
                        h.update(UnsafeRawBufferPointer(rebasing: b[at..<end]))
                        at = end
                    }
                }
                #expect(h.finish() == whole, "first \(first), pieces of \(piece)")
            }
        }
    }

    /// One flipped bit anywhere, including the top bit of a word, changes the hash.
    @Test func everyBitCounts() {
        let bytes = Data((0..<70).map { UInt8(truncatingIfNeeded: $0 &* 13) })
        let whole = InputHash.hash(bytes)
        var seen: Set<String> = [whole]
        for i in bytes.indices { for bit in [0, 7] {
            var changed = bytes
            changed[i] ^= UInt8(1 << bit)
            seen.insert(InputHash.hash(changed))
        } }
        #expect(seen.count == 1 + 2 * bytes.count)
    }

    @Test func aMissingFileFails() throws {
        #expect(throws: (any Error).self) { try InputHash.hash(file: URL(fileURLWithPath: "/nonexistent/kira-input-hash")) }
    }
}
