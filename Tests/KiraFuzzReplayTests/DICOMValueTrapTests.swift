@testable import KiraDICOM
import Testing

/// Header numbers that reached `Int(_:)` or grid arithmetic and trapped there: DS/IS text is
/// the file's, and a mangled VR turns even US values into arbitrary text.
@Suite struct DICOMValueTrapTests {
    @Test func nonFiniteDecimalsAreNotValues() {
        #expect(DICOMValue.doubles("nan\\1.5\\inf\\-inf\\1e400") == [1.5])
        #expect(DICOMValue.double("NaN") == nil)
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
