/// DICOM TM and DT values to seconds, byte by byte.
///
/// Every frame of an enhanced file has a FrameAcquisitionDateTime, and reading it through
/// Swift's Character view (grapheme breaking, splits into String arrays) cost tens of
/// thousands of instructions per value. TM and DT are printable ASCII by definition, where
/// every byte is one Character; for such input these functions follow
/// `DICOMValue.secondsByCharacters` step by step, so they give the same Double. Anything
/// else (non-ASCII, or a CR LF pair, which is one Character) returns nil and the caller
/// uses that definition.
enum DICOMTime {
    /// nil: not ASCII, use the Character definition. `.some(nil)`: no time in the value.
    struct Result { var value: Double? }

    static func seconds(time s: String) -> Result? {
        var s = s
        return s.withUTF8 { b -> Result? in
            guard b.allSatisfy(isPrintable) else { return nil }
            return Result(value: time(trimmed(b)))
        }
    }

    static func seconds(dateTime s: String) -> Result? {
        var s = s
        return s.withUTF8 { b -> Result? in
            guard b.allSatisfy(isPrintable) else { return nil }
            let t = trimmed(b)
            guard t.count >= 10 else { return Result(value: nil) }
            let day = Double(Substring(decoding: UnsafeBufferPointer(rebasing: t[t.startIndex..<t.startIndex + 8]), as: UTF8.self)) ?? 0
            // The time part runs up to the zone offset, as the first non-empty piece
            // between '+' signs and then between '-' signs.
            let afterDate = t[(t.startIndex + 8)...]
            let plusPiece = firstPiece(afterDate, separator: UInt8(ascii: "+"))
            let timePart = firstPiece(plusPiece, separator: UInt8(ascii: "-"))
            return Result(value: (time(timePart) ?? 0) + day * 86400)
        }
    }

    private typealias Bytes = Slice<UnsafeBufferPointer<UInt8>>

    private static func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
    private static func isPrintable(_ c: UInt8) -> Bool { c == 0x09 || (c >= 0x20 && c < 0x7F) }

    private static func trimmed(_ b: UnsafeBufferPointer<UInt8>) -> Bytes {
        var lo = b.startIndex, hi = b.endIndex
        while lo < hi && isBlank(b[lo]) { lo += 1 }
        while hi > lo && isBlank(b[hi - 1]) { hi -= 1 }
        return b[lo..<hi]
    }

    /// The first piece of `b` split at `separator` with empty pieces left out; empty when
    /// there is none.
    private static func firstPiece(_ b: Bytes, separator: UInt8) -> Bytes {
        var start = b.startIndex
        while start < b.endIndex && b[start] == separator { start += 1 }
        var end = start
        while end < b.endIndex && b[end] != separator { end += 1 }
        return b[start..<end]
    }

    /// HHMMSS.frac (colons ignored) of already trimmed bytes.
    private static func time(_ t: Bytes) -> Double? {
        guard !t.isEmpty else { return nil }
        var digits: [UInt8] = []
        digits.reserveCapacity(t.count)
        for c in t where c != UInt8(ascii: ":") { digits.append(c) }
        // split(separator: ".", maxSplits: 1), empty pieces left out: the main part is the
        // first non-empty piece, the fraction whatever follows the dot that ends it.
        var i = 0
        while i < digits.count && digits[i] == UInt8(ascii: ".") { i += 1 }
        let mainStart = i
        while i < digits.count && digits[i] != UInt8(ascii: ".") { i += 1 }
        let mainEnd = i
        var fraction: ArraySlice<UInt8>? = nil
        if i < digits.count && i + 1 < digits.count { fraction = digits[(i + 1)...] }
        let main = digits[mainStart..<mainEnd]
        guard main.count >= 2 else { return nil }
        func part(_ k: Int) -> Double {
            guard k + 2 <= main.count else { return 0 }
            let a = main[main.startIndex + k], b = main[main.startIndex + k + 1]
            if a >= 0x30 && a <= 0x39 && b >= 0x30 && b <= 0x39 { return Double(Int(a - 0x30) * 10 + Int(b - 0x30)) }
            return Double(String(decoding: [a, b], as: UTF8.self)) ?? 0
        }
        var seconds = part(0) * 3600 + part(2) * 60 + part(4)
        if let fraction, let f = Double("0." + String(decoding: fraction, as: UTF8.self)) { seconds += f }
        return seconds
    }
}
