import Foundation
import KiraCore
import KiraDICOM
import KiraTestSupport
import Testing

/// A sink that keeps what it is given, for comparing a streamed series with a loaded one.
final class CollectingSink: FrameSink, @unchecked Sendable {
    private let lock = NSLock()
    private(set) var begins: [ScalarType] = []
    private(set) var bytes: [UInt8] = []
    /// Pieces received per frame, one list per `begin`.
    private(set) var pieces: [[Int]] = []
    private var frameBytes = 0

    func begin(_ header: VolumeHeader) throws {
        lock.lock(); defer { lock.unlock() }
        begins.append(header.scalarType)
        frameBytes = header.frameValues * header.scalarType.byteSize
        bytes = Array(repeating: 0, count: frameBytes * header.frameCount)
        pieces.append(Array(repeating: 0, count: header.frameCount))
    }

    func write(frame index: Int, at byteOffset: Int, _ b: UnsafeRawBufferPointer) throws {
        lock.lock(); defer { lock.unlock() }
        let start = index * frameBytes + byteOffset
        bytes.replaceSubrange(start..<(start + b.count), with: b)
        pieces[pieces.count - 1][index] += 1
    }
}

/// Streaming a series (as `kira convert` does for .nii output) gives the bytes of the loaded
/// volume. A frame over 1 MiB goes in bands when it is native little-endian or RLE in one
/// fragment and the output type has the stored sample size, and whole otherwise. With a rescale whose values overflow int16, the series
/// is streamed again as int32. Values are checked against the generator's.
@Suite struct FrameStreamingTests {
    /// 760 × 760 × 2 bytes = 1.1 MiB: larger than one band.
    static let side = 760

    @Test(.enabled(if: RescaleNarrowingTests.tools, "dcmtk's dump2dcm and dcmcrle are not installed"),
          arguments: ["native", "rle", "rle-fragments"], [nil, -1024] as [Int?])
    func streamedEqualsLoaded(encoding: String, intercept: Int?) throws {
        let dir = try TestPaths.temporaryDirectory("kira-stream")
        defer { try? FileManager.default.removeItem(at: dir) }
        let values = RLEWindowTests.values(side: Self.side)
        let files = try RLEWindowTests.writeFrame(in: dir, side: Self.side, values: values, intercept: intercept,
                                                  fragmentKiB: encoding == "rle-fragments" ? 64 : nil)
        let url = encoding == "native" ? files.plain : files.rle

        let loaded = try loadSingleSeries([url])
        let scan = DICOMScanner.scan([url], options: .init(), logger: testLogger)
        let series = try #require(scan.series.first)
        let sink = CollectingSink()
        let header = try series.stream(try series.plan(options: .init()), into: sink, logger: testLogger)

        #expect(header.scalarType == loaded.voxels.scalarType)
        // Generator values with the intercept range over -1024…64511: int16 first, then int32.
        #expect(sink.begins == (intercept == nil ? [.uint16] : [.int16, .int32]))
        // Bands when the output has the stored sample size (uint16, or int16 before the
        // restart); the int32 pass and fragmented RLE go whole.
        let banded = encoding != "rle-fragments"
        let firstPass = try #require(sink.pieces.first?.first)
        #expect(banded ? firstPass > 1 : firstPass == 1, "frame written in \(firstPass) pieces")
        if intercept != nil { #expect(sink.pieces.last?.first == 1) }
        let expected: [Int64] = values.map { Int64($0) + Int64(intercept ?? 0) }
        let streamed: [Int64] = sink.bytes.withUnsafeBytes { raw in
            switch header.scalarType {
            case .uint16: raw.bindMemory(to: UInt16.self).map { Int64($0) }
            case .int32: raw.bindMemory(to: Int32.self).map { Int64($0) }
            default: []
            }
        }
        let mismatches = zip(streamed, expected).filter { $0 != $1 }.count
        #expect(streamed.count == expected.count && mismatches == 0, "\(mismatches) samples differ from the generator")
        let loadedBytes = loaded.voxels.withUnsafeBytes { Array($0) }
        #expect(sink.bytes == loadedBytes, "streamed and loaded bytes differ")
    }
}
