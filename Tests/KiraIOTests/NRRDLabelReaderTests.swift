import Foundation
import KiraCore
import Testing
import KiraIO
import KiraTestSupport

/// Label maps stored as 16/32-bit integers are read as bytes, chunk by chunk, when every value
/// fits; the voxels must equal the full-width read's, and a map with a value outside 0...255
/// (or a damaged stream) must come back exactly as `read` gives it. The map spans several
/// 65,536-voxel chunks and ends in a partial one.
@Suite struct NRRDLabelReaderTests {
    struct Case: Sendable, CustomStringConvertible {
        var type: String, encoding: String, outlier: Int?
        var description: String { "\(type) \(encoding) outlier \(outlier.map(String.init) ?? "none")" }
    }

    static let cases: [Case] = ["short", "ushort", "int", "uint"].flatMap { t in
        // Beyond a byte: just above it, and the type's own extreme (negative when signed).
        let extreme = ["short": -1, "ushort": 65535, "int": -70000, "uint": 70000][t]!
        return ["raw", "gzip"].flatMap { e in [nil, 256, extreme].map { Case(type: t, encoding: e, outlier: $0) } }
    }

    static let size = SIMD3(70, 50, 41)

    static func labels(outlier: Int?) -> [Int] {
        var rng = SplitMix64(seed: 7)
        var v = (0..<(size.x * size.y * size.z)).map { _ -> Int in
            let u = rng.unit()
            return u < 0.8 ? 0 : u < 0.9 ? 1 : u < 0.99 ? 2 : 255
        }
        // Late in the last chunk, so the chunks before it are already narrowed.
        if let outlier { v[v.count - 3] = outlier }
        return v
    }

    static func write(_ c: Case, _ values: [Int], to dir: URL) throws -> URL {
        var body: [UInt8] = []
        for v in values {
            switch c.type {
            case "short": body += withUnsafeBytes(of: Int16(v).littleEndian, Array.init)
            case "ushort": body += withUnsafeBytes(of: UInt16(v).littleEndian, Array.init)
            case "int": body += withUnsafeBytes(of: Int32(v).littleEndian, Array.init)
            default: body += withUnsafeBytes(of: UInt32(v).littleEndian, Array.init)
            }
        }
        if c.encoding == "gzip" { body = try gzip(body, in: dir) }
        let header = "NRRD0004\ntype: \(c.type)\ndimension: 3\nsizes: \(size.x) \(size.y) \(size.z)\nspacings: 0.8 0.8 2.5\nendian: little\nencoding: \(c.encoding)\n\n"
        let url = dir.appendingPathComponent("labels.nrrd")
        try (Data(header.utf8) + Data(body)).write(to: url)
        return url
    }

    /// gzip(1) as the independent compressor.
    static func gzip(_ bytes: [UInt8], in dir: URL) throws -> [UInt8] {
        let raw = dir.appendingPathComponent("body")
        try Data(bytes).write(to: raw)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-f", "-9", raw.path]
        try p.run()
        p.waitUntilExit()
        return Array(try Data(contentsOf: dir.appendingPathComponent("body.gz")))
    }

    @Test(arguments: cases)
    func bytesWhenEveryLabelFitsOtherwiseTheStoredType(_ c: Case) throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let values = Self.labels(outlier: c.outlier)
        let url = try Self.write(c, values, to: dir)
        let full = try NRRDReader.read(url)
        let labels = try NRRDReader.readLabels(url)
        #expect(labels.voxels.scalarType == (c.outlier == nil ? .uint8 : full.voxels.scalarType))
        #expect(labels.voxels.toDoubles() == values.map(Double.init))
        #expect(labels.geometry == full.geometry)
        // The mask made from either read is the same.
        let a = try MaskReader.mask(from: full, url: url, label: 2, matching: nil, imagePath: nil)
        let b = try MaskReader.mask(from: labels, url: url, label: 2, matching: nil, imagePath: nil)
        #expect(a.voxels == b.voxels)
        #expect(a.metadata == b.metadata)
        // A byte label map still held by the caller is not rewritten into the mask.
        #expect(labels.voxels.toDoubles() == values.map(Double.init))
    }

    @Test func aCutStreamGivesReadsMessage() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try Self.write(Case(type: "int", encoding: "gzip", outlier: nil), Self.labels(outlier: nil), to: dir)
        let whole = try Data(contentsOf: url)
        try whole.prefix(whole.count - 400).write(to: url)
        let expected = #expect(throws: KiraError.self) { try NRRDReader.read(url) }
        let got = #expect(throws: KiraError.self) { try NRRDReader.readLabels(url) }
        #expect(got.map { "\($0)" } == expected.map { "\($0)" })
    }
}
