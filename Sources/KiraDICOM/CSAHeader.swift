import Foundation
import KiraCore

/// Siemens' private CSA image header (0029,1010), format "SV10": named elements whose
/// values are strings. Only the mosaic geometry needs it.
enum CSAHeader {
    static func vector(_ f: DcmtkFile, name: String) -> [Double]? {
        guard let words = f.uint16Array("(0029,1010)") else { return nil }
        // The helper widens OB bytes to one word each.
        let b = words.map { UInt8(truncatingIfNeeded: $0) }
        guard b.count > 16, b[0] == 0x53, b[1] == 0x56, b[2] == 0x31, b[3] == 0x30 else { return nil }
        func u32(_ i: Int) -> Int? {
            guard i + 4 <= b.count else { return nil }
            return Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 | Int(b[i + 3]) << 24
        }
        guard let n = u32(8), n < 1000 else { return nil }
        var pos = 16
        for _ in 0..<n {
            guard pos + 84 <= b.count else { return nil }
            let nameBytes = b[pos..<pos + 64].prefix { $0 != 0 }
            let tagName = String(decoding: nameBytes, as: UTF8.self)
            guard let items = u32(pos + 76) else { return nil }
            pos += 84
            var values: [Double] = []
            for _ in 0..<items {
                guard let len = u32(pos + 4) else { return nil }
                pos += 16
                guard pos + len <= b.count else { return nil }
                let text = String(decoding: b[pos..<pos + len].prefix { $0 != 0 }, as: UTF8.self)
                if let v = Double(text.trimmingBlanks) { values.append(v) }
                pos += (len + 3) & ~3
            }
            if tagName == name { return values }
        }
        return nil
    }
}
