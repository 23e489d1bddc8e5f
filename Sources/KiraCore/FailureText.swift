import Foundation

/// How failures are worded in reports and on stderr: the error's own description, and
/// "FILE: REASON" lines that name a file once.
public enum FailureText {
    public static func describe(_ error: Error) -> String {
        if let k = error as? KiraError { return k.description }
        return String(describing: error)
    }

    /// The error for a failed series, named once: errors about the series already start with it.
    public static func describe(_ error: Error, series key: String) -> String {
        let d = describe(error)
        return d.hasPrefix("series ") ? d : "series \(key): \(d)"
    }

    /// "FILE: REASON", without naming the file twice when the reason already starts with it.
    public static func line(file: String, reason: String) -> String {
        // Readers name files by their absolute path; the line may start from a relative one.
        let absolute = URL(fileURLWithPath: file).standardizedFileURL.path
        if reason.hasPrefix(file + ": ") || reason.hasPrefix(absolute + ": ") { return reason }
        // A series error ("series S: FILE: invalid geometry: …") names the file the line starts with.
        guard reason.hasPrefix("series "), let r = reason.range(of: ": \(file): ") else { return "\(file): \(reason)" }
        return "\(file): " + reason.replacingCharacters(in: r, with: ": ")
    }
}
