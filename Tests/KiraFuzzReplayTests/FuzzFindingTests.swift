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
}
