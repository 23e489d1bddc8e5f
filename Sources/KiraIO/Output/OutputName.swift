import Foundation
import KiraCore

/// Output names built from a `--template` such as `{modality}_{series}_{description}`.
///
/// Field values come from DICOM headers and so from outside: each is reduced to
/// `[A-Za-z0-9._+-]` so no value can add a folder, climb out with `..` or hide a file.
/// The template itself may name sub-folders but never an absolute path or `..`.
public struct OutputTemplate: Sendable {
    public static let defaultTemplate = "{source}_{series}_{description}"
    public static let fields = ["source", "series", "description", "protocol", "modality", "echo",
                                "laterality", "view", "index", "time"]

    public let template: String

    public init(_ template: String) throws {
        guard !template.isEmpty else { throw KiraError.invalidArgument("--template is empty") }
        if template.hasPrefix("/") {
            throw KiraError.invalidArgument("--template '\(template)' is an absolute path; it must stay inside the output folder")
        }
        let parts = template.split(separator: "/", omittingEmptySubsequences: false)
        if parts.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }) {
            throw KiraError.invalidArgument("--template '\(template)' contains '..', '.' or an empty folder; it must stay inside the output folder")
        }
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw KiraError.invalidArgument("--template '\(template)' has an unclosed '{'")
            }
            let name = String(rest[rest.index(after: open)..<close])
            guard Self.fields.contains(name) else {
                throw KiraError.invalidArgument("--template field '{\(name)}' is unknown; known fields: " + Self.fields.map { "{\($0)}" }.joined(separator: ", "))
            }
            rest = rest[rest.index(after: close)...]
        }
        self.template = template
    }

    /// The relative path (without extension) for one output. A missing field is left out
    /// together with the separator before it (a NIfTI input has no series or description, and
    /// `brain1_na_na` says nothing); a path component left empty becomes "na".
    public func render(_ values: [String: String]) -> String {
        var out = ""
        var dropped = false
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            var literal = rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            rest = rest[rest.index(after: close)...]
            guard let value = values[name].flatMap({ $0.isEmpty ? nil : $0 }) else {
                // Only the folder part of the literal before a missing field survives.
                if let slash = literal.lastIndex(of: "/") { out += Self.sanitize(String(literal[...slash]), allowSlash: true) }
                dropped = true
                continue
            }
            // A separator that would open a file or folder name, after a dropped field, has nothing to separate.
            if dropped && (out.isEmpty || out.hasSuffix("/")) { literal = literal.drop { "_-.".contains($0) } }
            out += Self.sanitize(String(literal), allowSlash: true) + Self.sanitize(value, allowSlash: false)
            dropped = false
        }
        out += Self.sanitize(String(rest), allowSlash: true)
        return out.split(separator: "/", omittingEmptySubsequences: false).map { $0.isEmpty ? "na" : String($0) }.joined(separator: "/")
    }

    /// Keeps letters, digits, `_`, `+`, `-` and single dots; everything else, and any run of
    /// dots, becomes `_` (runs of `_` collapse), and no component may start with a dot, so
    /// no value can be `..` or a hidden file.
    public static func sanitize(_ s: String, allowSlash: Bool) -> String {
        let chars = Array(s)
        var out = ""
        var i = 0
        func append(_ c: Character) {
            if c == "_" && out.last == "_" { return }
            if c == "." && (out.isEmpty || out.last == "/") { return }
            out.append(c)
        }
        while i < chars.count {
            let c = chars[i]
            if c == "." {
                var j = i
                while j < chars.count && chars[j] == "." { j += 1 }
                append(j - i > 1 ? "_" : ".")
                i = j
                continue
            }
            if c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-" || c == "+") { append(c) }
            else if c == "/" && allowSlash { out.append(c) }
            else { append("_") }
            i += 1
        }
        return out
    }
}
