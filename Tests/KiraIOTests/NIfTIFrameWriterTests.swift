import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

/// The frame-by-frame writer makes the same file, byte for byte, as niftilib writing the
/// whole volume (`NIfTIWriter`, the reference; for .nii.gz, once decompressed by gunzip),
/// whatever order and pieces the frames come in; a writer that does not finish leaves
/// nothing behind.
@Suite struct NIfTIFrameWriterTests {
    /// The file's bytes, through gunzip for .nii.gz (checking the gzip stream as it goes).
    static func contents(_ url: URL) throws -> Data {
        guard url.lastPathComponent.hasSuffix(".gz") else { return try Data(contentsOf: url) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["gzip", "-dc", url.path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "gzip -dc \(url.lastPathComponent) failed")
        return data
    }

    static func volumes() throws -> [Volume] {
        [
            try NIfTIRoundTripTests.sampleVolume({ n in .int16((0..<n).map { Int16($0 * 37 % 2000 - 1000) }) }, t: 2),
            // Fits int16: stored signed, decided from the values written.
            try NIfTIRoundTripTests.sampleVolume { n in .uint16((0..<n).map { UInt16($0 * 100) }) },
            // Does not fit: stays uint16.
            try NIfTIRoundTripTests.sampleVolume { n in .uint16((0..<n).map { UInt16($0 * 1000) }) },
            try NIfTIRoundTripTests.sampleVolume { n in .float32((0..<n).map { Float($0) * 0.25 - 3 }) },
            try NIfTIRoundTripTests.sampleVolume { n in .int32((0..<n).map { Int32($0) * 70_001 - 1_000_000 }) },
        ]
    }

    /// Frames in reverse order, each in `pieces` pieces, also from two threads.
    static func stream(_ v: Volume, to url: URL, pieces: Int, skipping: Int? = nil,
                       options: NIfTIWriter.Options = .init(timeStep: 2.5)) throws -> NIfTIFrameWriter {
        let w = try NIfTIFrameWriter(url: url, options: options)
        try w.begin(v.header)
        let frameBytes = v.header.frameValues * v.voxels.scalarType.byteSize
        let all: [UInt8] = v.voxels.withUnsafeBytes { Array($0) }
        let jobs = (0..<v.header.frameCount).reversed().filter { $0 != skipping }
        final class Errors: @unchecked Sendable {
            let lock = NSLock()
            var list: [Error] = []
        }
        let errors = Errors()
        DispatchQueue.concurrentPerform(iterations: jobs.count) { j in
            let f = jobs[j]
            let cut = (0...pieces).map { frameBytes * $0 / pieces }
            do {
                try all.withUnsafeBytes { b in
                    for p in (0..<pieces).reversed() {
                        try w.write(frame: f, at: cut[p], UnsafeRawBufferPointer(rebasing: b[(f * frameBytes + cut[p])..<(f * frameBytes + cut[p + 1])]))
                    }
                }
            } catch {
                errors.lock.lock(); errors.list.append(error); errors.lock.unlock()
            }
        }
        if let e = errors.list.first { throw e }
        return w
    }

    /// Writes the given frames of `v`, each whole, in the order given.
    static func writeWhole(_ v: Volume, frames: some Sequence<Int>, to w: NIfTIFrameWriter) throws {
        let fb = v.header.frameValues * v.voxels.scalarType.byteSize
        try v.voxels.withUnsafeBytes { all in
            for f in frames { try w.write(frame: f, UnsafeRawBufferPointer(rebasing: all[(f * fb)..<((f + 1) * fb)])) }
        }
    }

    /// A second `begin` (a reader starting over in a wider type) voids what came before:
    /// half of an int16 volume, then all of an int32 one on the same grid.
    @Test(arguments: ["nii", "nii.gz"])
    func aRestartVoidsWhatCameBefore(ext: String) throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let narrow = try Self.volumes()[0]
        let wide = try NIfTIRoundTripTests.sampleVolume({ n in .int32((0..<n).map { Int32($0) * 40_000 - 900_000 }) }, t: 2)
        let whole = dir.appendingPathComponent("whole.nii"), streamed = dir.appendingPathComponent("streamed.\(ext)")
        try NIfTIWriter.write(wide, to: whole, options: .init(timeStep: 2.5))
        let w = try NIfTIFrameWriter(url: streamed, options: .init(timeStep: 2.5))
        try w.begin(narrow.header)
        try Self.writeWhole(narrow, frames: 0..<3, to: w)
        try w.begin(wide.header)
        try Self.writeWhole(wide, frames: 0..<wide.header.frameCount, to: w)
        try w.finish()
        #expect(try Data(contentsOf: whole) == Self.contents(streamed))
        #expect(try NIfTIReader.read(streamed).voxels == wide.voxels)
    }

    /// Frames in reverse order from two threads, each whole or in pieces in reverse order.
    @Test(arguments: [1, 4], ["nii", "nii.gz"])
    func piecesInAnyOrderGiveTheSameFile(pieces: Int, ext: String) throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (i, v) in try Self.volumes().enumerated() {
            let whole = dir.appendingPathComponent("whole\(i).nii"), streamed = dir.appendingPathComponent("streamed\(i).\(ext)")
            try NIfTIWriter.write(v, to: whole, options: .init(timeStep: 2.5))
            try Self.stream(v, to: streamed, pieces: pieces).finish()
            #expect(try Data(contentsOf: whole) == Self.contents(streamed), "volume \(i) in \(pieces) pieces")
            #expect(try NIfTIReader.read(streamed).voxels.toDoubles() == v.voxels.toDoubles(), "volume \(i)")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".kira-tmp") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    /// A reader whose band decoding fails part-way sends the frame again whole: frame 0 (next
    /// in line) and frame 2 (early) each get two of four bands, then the whole frame.
    @Test(arguments: ["nii", "nii.gz"])
    func aFrameSentAgainWholeAfterSomeBands(ext: String) throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let v = try Self.volumes()[0]
        let whole = dir.appendingPathComponent("whole.nii"), streamed = dir.appendingPathComponent("again.\(ext)")
        try NIfTIWriter.write(v, to: whole, options: .init(timeStep: 2.5))
        let w = try NIfTIFrameWriter(url: streamed, options: .init(timeStep: 2.5))
        try w.begin(v.header)
        let fb = v.header.frameValues * 2
        try v.voxels.withUnsafeBytes { all in
            func frame(_ f: Int, _ range: Range<Int>) -> UnsafeRawBufferPointer {
                UnsafeRawBufferPointer(rebasing: all[(f * fb + range.lowerBound)..<(f * fb + range.upperBound)])
            }
            let band = fb / 4
            for f in [2, 0] {
                try w.write(frame: f, at: 0, frame(f, 0..<band))
                try w.write(frame: f, at: band, frame(f, band..<(2 * band)))
                try w.write(frame: f, frame(f, 0..<fb))
            }
        }
        try Self.writeWhole(v, frames: [1, 3, 4, 5], to: w)
        try w.finish()
        #expect(try Data(contentsOf: whole) == Self.contents(streamed))
    }

    @Test(arguments: ["nii", "nii.gz"])
    func aMissingFrameFailsAndLeavesNothing(ext: String) throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let v = try Self.volumes()[0]
        let url = dir.appendingPathComponent("m.\(ext)")
        let w = try Self.stream(v, to: url, pieces: 2, skipping: 3)
        #expect {
            try w.finish()
        } throws: { e in
            guard let k = e as? KiraError, case let .writeFailed(path, reason) = k else { return false }
            return path == url.path && reason.contains("frame 3 of 6 was never written")
        }
        #expect(!FileManager.default.fileExists(atPath: url.path))
        withExtendedLifetime(w) {}
    }

    @Test func anUnfinishedWriterRemovesItsTemporaryFile() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let v = try Self.volumes()[1]
        do {
            let w = try Self.stream(v, to: dir.appendingPathComponent("u.nii"), pieces: 1)
            try withExtendedLifetime(w) {
                let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
                #expect(names.count == 1 && names[0].hasPrefix(".kira-tmp"), "the temporary file exists while writing: \(names)")
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test func aPieceOutsideItsFrameIsRefused() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let v = try Self.volumes()[0]
        let w = try NIfTIFrameWriter(url: dir.appendingPathComponent("o.nii"))
        try w.begin(v.header)
        let bytes = [UInt8](repeating: 0, count: 8)
        let fb = v.header.frameValues * 2
        #expect(throws: KiraError.self) { try bytes.withUnsafeBytes { try w.write(frame: 0, at: fb - 4, $0) } }
        #expect(throws: KiraError.self) { try bytes.withUnsafeBytes { try w.write(frame: 6, $0) } }
        #expect(throws: KiraError.self) { try NIfTIFrameWriter(url: dir.appendingPathComponent("o.nrrd")) }
    }
}
