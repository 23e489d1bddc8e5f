import Foundation

/// A DICOM data set being built for writing: elements keyed by tag, encoded in tag order as
/// explicit VR little endian. Sequences hold items of their own data sets, written with
/// defined lengths (what every reader accepts).
public struct DICOMDataSet: Sendable {
    public enum Value: Sendable {
        case bytes(Data)
        case items([DICOMDataSet])
    }

    public struct Element: Sendable {
        public var vr: String
        public var value: Value
    }

    /// Keyed by (group << 16) | element.
    public private(set) var elements: [UInt32: Element] = [:]

    public init() {}

    public static func tag(_ group: UInt16, _ element: UInt16) -> UInt32 { UInt32(group) << 16 | UInt32(element) }

    public mutating func set(_ group: UInt16, _ element: UInt16, _ vr: String, bytes: Data) {
        elements[Self.tag(group, element)] = Element(vr: vr, value: .bytes(bytes))
    }

    /// Text VRs (CS, LO, SH, PN, DA, TM, IS, DS, UI, …): UI is padded with NUL, the rest with a space.
    public mutating func set(_ group: UInt16, _ element: UInt16, _ vr: String, _ text: String) {
        var d = Data(text.utf8)
        if d.count % 2 == 1 { d.append(vr == "UI" ? 0 : 0x20) }
        set(group, element, vr, bytes: d)
    }

    /// Decimal strings, each at most 16 characters (see `DecimalString`).
    public mutating func set(_ group: UInt16, _ element: UInt16, decimals: [Double]) {
        set(group, element, "DS", decimals.map(DecimalString.format).joined(separator: "\\"))
    }

    public mutating func set(_ group: UInt16, _ element: UInt16, us value: Int) {
        set(group, element, "US", bytes: Self.le(UInt16(truncatingIfNeeded: value)))
    }

    public mutating func set(_ group: UInt16, _ element: UInt16, ul value: Int) {
        set(group, element, "UL", bytes: Self.le(UInt32(truncatingIfNeeded: value)))
    }

    public mutating func set(_ group: UInt16, _ element: UInt16, fd value: Double) {
        set(group, element, "FD", bytes: Self.le(value.bitPattern))
    }

    public mutating func set(_ group: UInt16, _ element: UInt16, sequence items: [DICOMDataSet]) {
        elements[Self.tag(group, element)] = Element(vr: "SQ", value: .items(items))
    }

    /// The elements in tag order, explicit VR little endian.
    public func encoded() -> Data {
        var out = Data()
        for tag in elements.keys.sorted() {
            let e = elements[tag]!
            let body: Data
            switch e.value {
            case let .bytes(d): body = d.count % 2 == 0 ? d : d + Data([0])
            case let .items(items):
                var d = Data()
                for item in items {
                    let content = item.encoded()
                    d += Self.le(UInt16(0xFFFE)) + Self.le(UInt16(0xE000)) + Self.le(UInt32(content.count)) + content
                }
                body = d
            }
            out += Self.le(UInt16(tag >> 16)) + Self.le(UInt16(tag & 0xFFFF)) + Data(e.vr.utf8)
            if Self.longLengthVRs.contains(e.vr) {
                out += Data([0, 0]) + Self.le(UInt32(body.count))
            } else {
                precondition(body.count <= 0xFFFF, "DICOM element \(String(tag, radix: 16)) (\(e.vr)) is longer than a 16-bit length allows")
                out += Self.le(UInt16(body.count))
            }
            out += body
        }
        return out
    }

    /// VRs whose explicit-VR header has two reserved bytes and a 32-bit length (PS3.5 7.1.2).
    static let longLengthVRs: Set<String> = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]

    static func le<T: FixedWidthInteger>(_ v: T) -> Data { withUnsafeBytes(of: v.littleEndian) { Data($0) } }
}

/// DICOM decimal strings (DS) hold at most 16 characters; geometry is written with as many
/// significant digits as fit, and whoever needs the value a reader will see parses it back.
public enum DecimalString {
    public static func format(_ x: Double) -> String {
        if x == 0 { return "0" }
        for digits in stride(from: 12, through: 4, by: -1) {
            var s = String(format: "%.\(digits)g", x)
            if s.contains("e") {
                // A mantissa and exponent are valid DS; strip zeros the format may leave.
                s = s.replacingOccurrences(of: "e+0", with: "e").replacingOccurrences(of: "e-0", with: "e-")
            }
            if s.count <= 16 { return s }
        }
        return String(format: "%.3e", x)
    }

    /// The value a reader gets back from `format(x)`.
    public static func quantized(_ x: Double) -> Double { Double(format(x))! }
}
