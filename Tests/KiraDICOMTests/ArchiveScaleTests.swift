import Foundation
import KiraCore
@testable import KiraDICOM
import KiraTestSupport
import Testing

/// Issue 18, archive scale: a scan keeps a compact record per file, not the parsed header,
/// so an archive's memory does not grow with the header data of its files.
@Suite struct ArchiveScaleTests {
    /// The record's inline size as it is now (x86-64): a new field shows up here, and a
    /// field with storage behind it (a metadata dictionary is 8 bytes inline but kilobytes
    /// on the heap) must also keep `manyFilesShareTheirSeriesValues` passing. 312 bytes until
    /// the pixel data's offset (16 bytes, sparing native files a second parse) joined it.
    @Test func recordsStaySmall() {
        #expect(MemoryLayout<FileHeader>.stride <= 328)
        #expect(MemoryLayout<FrameInfo>.stride <= 256)
        #expect(MemoryLayout<TemporalKey>.stride == 40)
    }

    /// Frames at one position sort as the five keys' arrays did, then by file.
    @Test func temporalKeyOrdersLexicographically() {
        let a = TemporalKey(temporal: 1, trigger: 5, time: 0, instance: 2, frame: 0)
        let b = TemporalKey(temporal: 1, trigger: 5, time: 0, instance: 3, frame: 0)
        let nan = TemporalKey(temporal: .nan, trigger: 5, time: 0, instance: 3, frame: 0)
        #expect(a.precedes(b) && !b.precedes(a))
        #expect(!a.precedes(a))
        #expect(a.precedes(a, then: 0, 1) && !a.precedes(a, then: 1, 0))
        // NaN compares equal both ways, so the later keys decide, as for arrays.
        #expect(nan.precedes(TemporalKey(temporal: 0, trigger: 6, time: 0, instance: 0, frame: 0)))
    }

    /// 2,000 files in 40 series of 50 slices: each series gets exactly its files, in
    /// slice order, with the series' UID stored once and no more datasets left open than
    /// the budget holds.
    @Test func manyFilesShareTheirSeriesValues() throws {
        let dir = try TestPaths.temporaryDirectory("kira-archive")
        defer { try? FileManager.default.removeItem(at: dir) }
        for s in 1...40 {
            try SyntheticDICOM.writeSeries(to: dir.appendingPathComponent("s\(s % 3)"), seriesNumber: s, rows: 4, columns: 3, slices: 50)
        }
        let r = DICOMScanner.scan([dir], options: .init(), logger: testLogger)
        #expect(r.failures.isEmpty && r.skippedNonDICOM.isEmpty)
        try #require(r.series.count == 40)
        #expect(Set(r.series.map { $0.key.split(separator: "_")[0] }) == Set((1...40).map { "S\($0)" }))
        for series in r.series {
            let n = Int(series.key.dropFirst().split(separator: "_")[0])!
            #expect(series.files.map(\.lastPathComponent) == (1...50).map { String(format: "s%02d_%04d.dcm", n, $0) })
            #expect(series.headers.allSatisfy { $0.frames.isEmpty })
            #expect(series.frames.count == 50)
            // One storage for the UID (longer than inline strings) in every record of the series.
            let storages = Set(series.headers.map { h in
                h.seriesUID.utf8.withContiguousStorageIfAvailable { UInt(bitPattern: $0.baseAddress) } ?? 0
            })
            #expect(storages.count == 1 && !storages.contains(0))
            #expect(series.displayName == "\(series.key) (interrupt\(n))")
        }
        let open = r.series.flatMap(\.headers).compactMap(\.openFile)
        #expect(open.reduce(0) { $0 + $1.bytes } <= DICOMScanner.openBudgetBytes)
        // A 4×3 file's dataset is estimated at a few kilobytes: the budget holds hundreds, not 2,000.
        #expect(open.count > 0 && open.count < 1000, "\(open.count) datasets open")
        // Metadata is read again from the first file when asked for.
        let s7 = try #require(r.series.first { $0.key.hasPrefix("S7_") })
        #expect(s7.summary["SeriesDescription"] == "interrupt7")
        #expect(s7.summary["SourceFileCount"] == .integer(50))
        #expect(s7.summary["Modality"] == "MR")
        // Voxel (x, y, z) = x + 3y + 7z + series (see SyntheticDICOM), decoded after reopening.
        let v = try s7.load(options: .init(), logger: testLogger)
        #expect(v.geometry.size == [3, 4, 50])
        #expect(v.metadata["SeriesNumber"] == .integer(7))
        #expect(v.voxels[2 + 3 * 1 + 12 * 31] == Double(2 + 3 * 1 + 7 * 31 + 7))
    }

    /// Native frames longer than the scan's 4,096-byte value limit are read from the file
    /// at the offset the scan recorded (where the pixel data ends the file), so no dataset
    /// is kept open and none is parsed again; the voxels are the written ones.
    @Test func nativeFramesAreReadWhereTheScanFoundThem() throws {
        let dir = try TestPaths.temporaryDirectory("kira-native")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (rows, columns, slices, number) = (48, 64, 6, 3)
        let files = try SyntheticDICOM.writeSeries(to: dir, seriesNumber: number, rows: rows, columns: columns, slices: slices)
        let r = DICOMScanner.scan([dir], options: .init(), logger: testLogger)
        let series = try #require(r.series.first)
        #expect(r.series.count == 1 && r.failures.isEmpty)
        let frameBytes = rows * columns * 2
        for (h, url) in zip(series.headers, files) {
            let size = try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
            #expect(h.pixelDataOffset == size - frameBytes, "\(url.lastPathComponent)")
            #expect(h.openFile == nil)
        }
        let v = try series.load(options: .init(), logger: testLogger)
        #expect(v.geometry.size == [columns, rows, slices])
        var wrong = 0
        for z in 0..<slices {
            for y in 0..<rows {
                for x in 0..<columns where v.voxels[x + columns * (y + rows * z)] != Double((x + 3 * y + 7 * z + number) % 4096) {
                    wrong += 1
                }
            }
        }
        #expect(wrong == 0)
    }

    /// A file cut short after the scan: the direct read comes up short and dcmtk, given the
    /// frame instead, reports the file as unreadable rather than any voxels being made up.
    @Test func aFrameCutAfterTheScanIsLeftToDcmtk() throws {
        let dir = try TestPaths.temporaryDirectory("kira-native-cut")
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try SyntheticDICOM.writeSeries(to: dir, seriesNumber: 4, rows: 48, columns: 64, slices: 3)
        let r = DICOMScanner.scan([dir], options: .init(), logger: testLogger)
        let series = try #require(r.series.first)
        #expect(series.headers.allSatisfy { $0.pixelDataOffset != nil })
        let cut = files[1]
        let size = try #require(try FileManager.default.attributesOfItem(atPath: cut.path)[.size] as? Int)
        #expect(truncate(cut.path, off_t(size - 100)) == 0)
        #expect {
            _ = try series.load(options: .init(), logger: testLogger)
        } throws: { error in
            "\(error)".contains(cut.lastPathComponent)
        }
    }
}
