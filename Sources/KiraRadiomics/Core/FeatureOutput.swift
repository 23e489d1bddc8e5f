import Foundation
import KiraCore

/// Feature sets as CSV rows and JSON documents, with the provenance every output carries.
public enum FeatureOutput {
    public static let csvHeader = ["name", "tag", "ibsi_code", "family", "value", "undefined_reason"]

    /// Long format: one row per feature; an undefined feature has an empty value and its reason.
    public static func csv(_ set: FeatureSet) -> CSVWriter {
        var w = CSVWriter(header: csvHeader)
        w.reserve(set.rows.count * 96)
        for r in set.rows {
            w.append([r.name, r.tag, r.ibsiCode, r.family.rawValue, r.value.number.map(CSVWriter.format) ?? "", r.value.reason ?? ""])
        }
        return w
    }

    /// `{"features": [{"name","tag","ibsi_code","family","value"[,"reason"]}…], "diagnostics": {…}}`;
    /// an undefined value is null with its reason beside it.
    public static func json(_ set: FeatureSet) throws -> Data {
        let features: [MetaValue] = set.rows.map { r in
            var o: [String: MetaValue] = [
                "name": .string(r.name), "tag": .string(r.tag), "ibsi_code": .string(r.ibsiCode),
                "family": .string(r.family.rawValue),
                "value": r.value.number.map { .number($0) } ?? .null,
            ]
            if let reason = r.value.reason { o["reason"] = .string(reason) }
            return .object(o)
        }
        let doc = MetaValue.object(["features": .array(features), "diagnostics": .object(set.diagnostics)])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(doc)
    }

    /// 64-bit FNV-1a of a file's bytes, as 16 hex digits: identifies inputs in provenance.
    /// Read in 64 KiB pieces: hashing runs beside the extraction, so it must not hold a second
    /// copy of a compressed image.
    public static func fileHash(_ url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var h = fnvBasis
        while let piece = try handle.read(upToCount: 1 << 16), !piece.isEmpty { h = fnv(piece, h) }
        return hex(h)
    }

    public static func hash(_ data: Data) -> String { hex(fnv(data, fnvBasis)) }

    private static func hex(_ h: UInt64) -> String { String(h, radix: 16).leftPad(16) }

    private static let fnvBasis: UInt64 = 0xcbf2_9ce4_8422_2325

    private static func fnv(_ data: Data, _ start: UInt64) -> UInt64 {
        var h = start
        data.withUnsafeBytes { (b: UnsafeRawBufferPointer) in
            for byte in b { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        }
        return h
    }

    /// Settings as a JSON value and their hash (of the sorted-key JSON text).
    public static func settingsProvenance<S: Encodable>(_ s: S) throws -> (value: MetaValue, hash: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(s)
        return (try JSONDecoder().decode(MetaValue.self, from: data), hash(data))
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
