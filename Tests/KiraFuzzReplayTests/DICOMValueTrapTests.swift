import Foundation
import KiraCore
@testable import KiraDICOM
import KiraTestSupport
import Testing

/// Header numbers that reached `Int(_:)` or grid arithmetic and trapped there: DS/IS text is
/// the file's, and a mangled VR turns even US values into arbitrary text.
@Suite struct DICOMValueTrapTests {
    /// Kept in place (a PixelSpacing of nan\\0.8 must be refused by the geometry checks, not
    /// read as one value and replaced by a guessed 1 mm), and never an integer.
    @Test func nonFiniteDecimalsAreKeptButAreNoIntegers() throws {
        let v = try #require(DICOMValue.doubles("nan\\1.5\\inf\\-inf\\1e400"))
        #expect(v.count == 5 && v[0].isNaN && v[1] == 1.5 && v[2] == .infinity && v[3] == -.infinity && v[4] == .infinity)
        for s in ["nan", "NaN", "inf", "-inf", "1e400"] { #expect(DICOMValue.int(s) == nil) }
    }

    @Test func integersBeyondIntAreAbsentNotATrap() {
        #expect(DICOMValue.int("1e300") == nil)
        #expect(DICOMValue.int("9223372036854775808") == nil)
        #expect(DICOMValue.int("-12.9") == -12)
        #expect(DICOMValue.int("512") == 512)
    }

    @Test func seriesNumberTextForAnyFiniteValue() {
        #expect(DICOMValue.integerText(5) == "5")
        #expect(DICOMValue.integerText(-3.7) == "-3")
        #expect(DICOMValue.integerText(1e300) == "1e+300")
    }

    /// A rescale slope such as 1e300 is integral, so the integer output path took it.
    @Test func rescaledSamplesSaturate() {
        #expect(Int32.from(1e300) == .max && Int16.from(-1e300) == .min)
        #expect(UInt16.from(.infinity) == .max && UInt8.from(-.infinity) == 0)
        #expect(Int32.from(.nan) == 0)
        #expect(Int16.from(-2.5) == -3 && UInt8.from(254.6) == 255)
    }
}

/// A SEG file declaring 8,243 frames with 3 per-frame items (fuzzer timeout): the frames past
/// the items are copies of the first shared-value frame, not 8,240 more rounds of lookups.
@Suite struct DICOMFrameTableTests {
    @Test func framesPastThePerFrameItemsCopyTheSharedFrame() throws {
        let url = TestPaths.testData("fuzz/dicom/crashes/timeout-a610bcd8f5313a045d2da0c0b47878dca4631092")
        let f = try DcmtkFile(url: url, maxReadLength: 0)
        let h = try HeaderReader.read(f, url: url)
        #expect(h.frames.count == 8243)
        let shared = h.frames[3], last = h.frames[8242]
        #expect(last.frame == 8242 && last.temporalKey.frame == 8242)
        #expect(last.position == shared.position && last.orientation == shared.orientation)
        let (a, b) = (last.temporalKey, shared.temporalKey)
        #expect(a.temporal == b.temporal && a.trigger == b.trigger && a.time == b.time && a.instance == b.instance)
        #expect(h.frames[1000].frame == 1000)
        // The whole reader still answers with a clean error or a volume, not a hang or trap.
        do { _ = try DICOMSegReader.read(url) } catch is KiraError {}
    }
}
