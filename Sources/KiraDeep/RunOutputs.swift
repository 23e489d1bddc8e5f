import Foundation
import KiraCore

/// `kira deep run`'s orchestration: which file each requested tensor goes to, refusals made
/// before any work, and the writes (all tensors computed first, then each file written
/// temp-then-rename, so a failed run writes nothing).
public enum DeepRun {
    /// A tensor name as a file name: characters other than letters, digits, '.', '-' and '_'
    /// (ONNX names often hold '/' and ':') become '_'.
    public static func fileName(for tensor: String) -> String {
        let safe = tensor.unicodeScalars.map { c -> Character in
            (CharacterSet.alphanumerics.contains(c) && c.isASCII) || "._-".unicodeScalars.contains(c) ? Character(c) : "_"
        }
        let name = String(safe).trimmingCharacters(in: CharacterSet(charactersIn: "."))
        return (name.isEmpty ? "output" : name) + ".npy"
    }

    /// Output file per tensor, refusing two tensors that map to one file and existing files
    /// without `overwrite`.
    public static func plan(_ names: [String], folder: String, overwrite: Bool) throws -> [(tensor: String, path: String)] {
        var seen: [String: String] = [:]
        var out: [(String, String)] = []
        for n in names {
            let f = fileName(for: n)
            if let other = seen[f] {
                throw KiraError.invalidArgument("outputs '\(other)' and '\(n)' would both be written to \(f); ask for one of them")
            }
            seen[f] = n
            let path = URL(fileURLWithPath: folder).appendingPathComponent(f).path
            if !overwrite && FileManager.default.fileExists(atPath: path) {
                throw KiraError.invalidArgument("'\(path)' exists; pass --overwrite to replace it")
            }
            out.append((n, path))
        }
        return out
    }

    public static func write(_ results: [String: Tensor], plan: [(tensor: String, path: String)], folder: String) throws {
        try InterruptCleanup.createDirectory(at: URL(fileURLWithPath: folder))
        for (tensor, path) in plan { try NumPyArray.write(results[tensor]!, to: path) }
    }
}
