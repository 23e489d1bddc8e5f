@testable import KiraDICOM
import Testing

/// TM and DT values to seconds: hand-computed values, and the byte-level reading agrees
/// exactly with the Character-level definition on ordinary and odd inputs.
@Suite struct DICOMTimeTests {
    @Test func timeValues() {
        let expected: Double = 45296 + 0.789  // 12 h 34 min 56.789 s
        #expect(DICOMValue.seconds(time: "123456.789") == expected)
        #expect(DICOMValue.seconds(time: "12:34:56.5") == 45296.5)
        #expect(DICOMValue.seconds(time: " 1234 ") == 45240)
        #expect(DICOMValue.seconds(time: "07") == 25200)
        #expect(DICOMValue.seconds(time: "1") == nil)
        #expect(DICOMValue.seconds(time: "   ") == nil)
        #expect(DICOMValue.seconds(time: nil) == nil)
    }

    @Test func dateTimeValues() {
        let day: Double = 20200101.0 * 86400
        let a: Double = 45296.5 + day, b: Double = 45296 + day, c: Double = 43200 + day
        #expect(DICOMValue.seconds(dateTime: "20200101123456.5+0100") == a)
        #expect(DICOMValue.seconds(dateTime: "20200101123456-0500") == b)
        #expect(DICOMValue.seconds(dateTime: "2020010112") == c)
        #expect(DICOMValue.seconds(dateTime: "202001011") == nil)
        // Nothing but separators after the date: the date alone (this used to trap).
        #expect(DICOMValue.seconds(dateTime: "20200101++") == day)
    }

    static let odd = [
        "123456.789", "12:34:56.123456", "120000", "12", "1", "", " ", "\t093015 ", ".5", "..5", "1..5",
        "12..5", "12.", "12.34.56", ".12.5", "1a2b3c", "+1+2", "-12", "12:3", "::", "12:34:56.5e3", "12 34",
        "0930.", "235959.999999", "20200101123456.5+0100", "20200101+0100", "20200101++", "20200101--",
        "20200101-0500", "2020010112+", "19991231235959.000001", "2020010112345", "abcdefghijkl",
        "12\r\n34", "12é456", "ééééééééééé",
    ]

    @Test(arguments: odd)
    func bytesAgreeWithCharacters(value: String) {
        #expect(DICOMValue.seconds(time: value) == DICOMValue.secondsByCharacters(time: value))
        #expect(DICOMValue.seconds(dateTime: value) == DICOMValue.secondsByCharacters(dateTime: value))
    }
}
