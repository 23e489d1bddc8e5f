import Foundation
import KiraCore
import KiraDICOM
import KiraIO
import KiraRadiomics
import KiraTestSupport
import Logging
import Testing

/// One test per input the fuzzer found (TestData/fuzz/<target>/crashes/): the clean error
/// each now gets, where it used to crash or hang. The replay test runs them all too.
@Suite struct FuzzFindingTests {
    static let logger = Logger(label: "kira.fuzz.tests") { _ in SwiftLogNoOpLogHandler() }

    static func finding(_ target: String, _ name: String) -> URL {
        TestPaths.testData("fuzz/\(target)/crashes/\(name)")
    }

    /// Loads the one series a DICOM file forms; the error it throws, or nil.
    static func loadDICOM(_ url: URL) throws -> KiraError? {
        let scan = DICOMScanner.scan([url], options: .init(), logger: logger)
        let series = try #require(scan.series.first, "no series: \(scan.failures.map(\.reason))")
        do { _ = try series.load(options: .init(), logger: logger) } catch let e as KiraError { return e }
        return nil
    }

    /// BitsStored 0 (its VR mangled): the decoder's sign-bit shift became negative and trapped.
    @Test func dicomZeroBitsStored() throws {
        let e = try Self.loadDICOM(Self.finding("dicom", "crash-f4e8197df219c8a72626c98800d0ea93b72427b8"))
        guard case let .unsupportedFormat(_, reason)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(reason == "BitsStored 0 is not a positive number of bits")
    }

    /// An RLE frame whose second segment starts at byte 4,294,901,795 of a 130-byte frame:
    /// Kira's decoder declined it and dcmtk's then read at that offset (SEGV inside
    /// libdcmdata). The header is now checked before dcmtk sees the frame.
    @Test func dicomRLESegmentOffsetOutsideTheFrame() throws {
        let e = try Self.loadDICOM(Self.finding("dicom", "crash-eafaa9476c8dbf21efc933151f076642ff7ce873"))
        let message = try #require(e.map { "\($0)" })
        #expect(message.contains("cannot decode frame 1: RLE segment 2 starts at byte 4294901795, outside the frame's 130 bytes"), "\(message)")
    }

    /// A TIFF of a few pixels declaring a 22 GB tile: allocated unchecked (libFuzzer: malloc
    /// of 22,280,143,136 bytes); now refused by the budget before the tile buffer exists.
    @Test func tiffTileLargerThanTheBudget() throws {
        let url = try Self.copy(Self.finding("raster", "oom-afa2422b6db77a7a3cd65225bb09c36788c4795f"), as: "tile.tif")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        #expect {
            try RasterReader.read(url, spacing: nil)
        } throws: { e in
            guard let k = e as? KiraError, case let .tooLarge(subject, _) = k else { return false }
            return subject.hasSuffix("TIFF tile (tile width × length × samples × bytes)")
        }
    }

    /// The empty file: Foundation's Data(contentsOf:) leaked its 4 KiB read buffer on it, once
    /// per read (LeakSanitizer). The leak is not visible here; the clean refusal is.
    @Test func emptyNRRD() throws {
        let url = try Self.copy(Self.finding("nrrd", "crash-da39a3ee5e6b4b0d3255bfef95601890afd80709"), as: "empty.nrrd")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        for read in [NRRDReader.read, NRRDReader.readLabels] {
            #expect {
                try read(url)
            } throws: { e in
                guard let k = e as? KiraError, case let .unsupportedFormat(_, reason) = k else { return false }
                return reason == "not a NRRD file (no NRRD000x magic line)"
            }
        }
    }

    /// "7222222222222222222:8": a YAML 1.1 base-60 integer, which Yams multiplies out
    /// unchecked (overflow trap inside Yams). The bytes are the fuzzer's: the whole document.
    @Test func settingsBase60IntegerIsNotANumber() throws {
        let text = try String(contentsOf: Self.finding("settings", "crash-790b0ff1fdaa13fbee3c2ec694104bd57a6bb0d6"), encoding: .utf8)
        #expect(text.hasPrefix("7222222222222222222:8"))
        #expect(throws: KiraError.self) { try SettingsFile.parse(text, source: "crash.yaml") }
        // The same form as a setting's value is text, refused by the key's number check.
        #expect {
            try SettingsFile.parse("setting:\n  binCount: 7222222222222222222:8\n", source: "s.yaml")
        } throws: { e in
            "\(e)" == #"s.yaml: setting.binCount: expected an integer, got "7222222222222222222:8""#
        }
    }

    /// File-based readers choose by extension; findings are stored without one.
    static func copy(_ url: URL, as name: String) throws -> URL {
        let dir = try TestPaths.temporaryDirectory("kira-fuzz-finding")
        let dest = dir.appendingPathComponent(name)
        try FileManager.default.copyItem(at: url, to: dest)
        return dest
    }
}
