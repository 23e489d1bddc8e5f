import Foundation
import KiraRadiomics
import KiraTestSupport
import Testing

/// The provenance hash is 64-bit FNV-1a; the file is read in 64 KiB pieces, so a file that
/// spans several pieces must hash as its bytes do in one go.
@Suite struct FileHashTests {
    /// FNV-1a 64 test vectors published with the algorithm (Fowler, Noll, Vo).
    @Test(arguments: [("", "cbf29ce484222325"), ("a", "af63dc4c8601ec8c"), ("foobar", "85944171f73967e8")])
    func publishedVectors(text: String, expected: String) throws {
        #expect(FeatureOutput.hash(Data(text.utf8)) == expected)
        let dir = try TestPaths.temporaryDirectory("file-hash")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("f.bin")
        try Data(text.utf8).write(to: url)
        #expect(try FeatureOutput.fileHash(url) == expected)
    }

    /// Piece boundaries (64 KiB) just before, at and after the end of the file.
    @Test(arguments: [65_535, 65_536, 65_537, 200_003])
    func piecesHashAsOneBuffer(count: Int) throws {
        var rng = SystemRandomNumberGenerator()
        let bytes = Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let dir = try TestPaths.temporaryDirectory("file-hash")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("f.bin")
        try bytes.write(to: url)
        #expect(try FeatureOutput.fileHash(url) == FeatureOutput.hash(bytes))
    }
}
