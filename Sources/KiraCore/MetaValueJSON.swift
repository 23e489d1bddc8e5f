/// JSON text of a value, keys sorted, as `JSONEncoder` with `.sortedKeys` writes it
/// up to the spelling of fractional numbers (here Swift's shortest round-trip form). Journals write one record per
/// finished case, and for cohorts of millisecond cases Foundation's encoder was an eighth of the
/// run's CPU time. Non-finite numbers are written as null, as `encode(to:)` does.
extension MetaValue {
    public var compactJSON: String {
        var out = ""
        write(to: &out, indent: nil)
        return out
    }

    /// Two-space indented text, `key : value` as Foundation's `.prettyPrinted` writes it.
    public var prettyJSON: String {
        var out = ""
        write(to: &out, indent: 0)
        return out
    }

    /// `indent`: nil for compact text, else the current nesting depth.
    public func write(to out: inout String, indent: Int? = nil) {
        func newline(_ depth: Int) {
            guard indent != nil else { return }
            out += "\n"
            out += String(repeating: "  ", count: depth)
        }
        let depth = indent ?? 0
        let inner = indent.map { $0 + 1 }
        switch self {
        case let .string(s): Self.writeString(s, to: &out)
        case let .number(d):
            // Whole numbers without ".0", as Foundation writes them: a value read back as an
            // integer is then written the same way again (reruns compare provenance bytes).
            let text = d.isFinite ? d.description : "null"
            out += text.hasSuffix(".0") ? String(text.dropLast(2)) : text
        case let .integer(i): out += String(i)
        case let .bool(b): out += b ? "true" : "false"
        case .null: out += "null"
        case let .array(a):
            out += "["
            for (k, v) in a.enumerated() {
                if k > 0 { out += "," }
                newline(depth + 1)
                v.write(to: &out, indent: inner)
            }
            if !a.isEmpty { newline(depth) }
            out += "]"
        case let .object(o):
            out += "{"
            for (k, key) in o.keys.sorted().enumerated() {
                if k > 0 { out += "," }
                newline(depth + 1)
                Self.writeString(key, to: &out)
                out += indent == nil ? ":" : " : "
                o[key]!.write(to: &out, indent: inner)
            }
            if !o.isEmpty { newline(depth) }
            out += "}"
        }
    }

    public static func writeString(_ s: String, to out: inout String) {
        out += "\""
        // Most keys and feature names need no escape: append them whole.
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out += s
            out += "\""
            return
        }
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        out += "\""
    }
}
