import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

/// Headers that name more than their own bytes: other files, printf patterns, huge buffers.
/// Each case below used to crash, hang or allocate without a check; now it is a KiraError.
@Suite struct HostileHeaderTests {
    static func nrrd(_ header: String, in dir: URL, name: String = "h.nhdr") throws -> URL {
        let url = dir.appendingPathComponent(name)
        try Data(header.utf8).write(to: url)
        return url
    }

    static let head = "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 1 3\nencoding: raw\n"
    static let wide = "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 1 1 3000000\nencoding: raw\n"

    /// The pattern is formatted by Kira now, not by printf: padding and the range must match.
    @Test func dataFilePatternNamesEachSlice() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (n, bytes) in [(1, [1, 2]), (3, [3, 4]), (5, [5, 6])] {
            try Data(bytes.map(UInt8.init)).write(to: dir.appendingPathComponent(String(format: "s%03d%%.raw", n)))
        }
        let v = try NRRDReader.read(try Self.nrrd(Self.head + "data file: s%03d%%.raw 1 5 2 2\n", in: dir))
        #expect(v.voxels == .uint8([1, 2, 3, 4, 5, 6]))
        let down = try NRRDReader.read(try Self.nrrd(Self.head + "data file: s%03d%%.raw 5 1 -2 2\n", in: dir))
        #expect(down.voxels == .uint8([5, 6, 3, 4, 1, 2]))
    }

    @Test("data file patterns that are refused", arguments: [
        // %s and %@ made String(format:) read the integer as a pointer (segfault).
        ("s%s.raw 1 3 1", "must hold one integer conversion"),
        ("s%@.raw 1 3 1", "must hold one integer conversion"),
        ("s%d%d.raw 1 3 1", "must hold one integer conversion"),
        ("s%99999d.raw 1 3 1", "must hold one integer conversion"),
        // The counting loop overflowed (trap) at Int.max and ran for ages over a wide range.
        // (Two names are fine; the first is simply missing here.)
        ("s%d.raw 9223372036854775806 9223372036854775807 1", "s9223372036854775806.raw: cannot read: no such file"),
        ("s%d.raw -9223372036854775808 9223372036854775807 1", "names too many files"),
        ("s%d.raw 0 1000000000000 1", "names more files"),
        ("s%d.raw 3 1 1", "names no files"),
        // Fewer files than voxels, but the names alone would take gigabytes.
        ("s%d.raw 0 2000000 1", "or 1048576"),
    ])
    func refusedPatterns(spec: String, message: String) throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try Self.nrrd(Self.wide + "data file: \(spec)\n", in: dir)
        #expect {
            try NRRDReader.read(url)
        } throws: { e in
            guard let k = e as? KiraError else { return false }
            return "\(k)".contains(message)
        }
    }

    /// /dev/zero as a data file was read until memory ran out.
    @Test(arguments: ["/dev/zero", "."])
    func dataFileMustBeARegularFile(name: String) throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try Self.nrrd(Self.head + "data file: \(name)\n", in: dir)
        #expect {
            try NRRDReader.read(url)
        } throws: { e in
            guard let k = e as? KiraError, case let .unreadable(_, reason) = k else { return false }
            return reason == "not a regular file"
        }
    }

    /// A 352-byte NIfTI file asking for 32767³ float64 voxels: the buffer is refused by the
    /// budget before kira_nifti_read_raw mallocs it (under AddressSanitizer that malloc
    /// aborted the process; without it, a short file could reserve gigabytes first).
    @Test(arguments: ["big.nii", "big.nii.gz"])
    func niftiHeaderAskingForTerabytesIsRefusedBeforeAllocation(name: String) throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var h = [UInt8](repeating: 0, count: 352)
        func put<T>(_ v: T, at offset: Int) { withUnsafeBytes(of: v) { for (i, b) in $0.enumerated() { h[offset + i] = b } } }
        put(Int32(348), at: 0)                                          // sizeof_hdr
        for (i, d) in [Int16(3), 32767, 32767, 32767, 1, 1, 1, 1].enumerated() { put(d, at: 40 + 2 * i) }
        put(Int16(64), at: 70)                                          // datatype float64
        put(Int16(64), at: 72)                                          // bitpix
        for i in 0..<8 { put(Float(1), at: 76 + 4 * i) }                // pixdim
        put(Float(352), at: 108)                                        // vox_offset
        h.replaceSubrange(344..<348, with: Array("n+1\0".utf8))
        let url = dir.appendingPathComponent(name)
        let bytes = Data(h)
        if name.hasSuffix(".gz") {
            let raw = dir.appendingPathComponent("big.nii")
            try bytes.write(to: raw)
            let gzip = Process()
            gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            gzip.arguments = ["gzip", "-f", raw.path]
            try gzip.run()
            gzip.waitUntilExit()
            try #require(gzip.terminationStatus == 0)
        } else {
            try bytes.write(to: url)
        }
        #expect {
            try NIfTIReader.read(url)
        } throws: { e in
            guard let k = e as? KiraError, case let .tooLarge(subject, _) = k else { return false }
            return subject.contains("voxel data (header dim)")
        }
    }
}
