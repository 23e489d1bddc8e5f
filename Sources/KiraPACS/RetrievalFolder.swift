import Foundation
import KiraCore

/// Retrieved files land in a hidden staging folder beside the output and are renamed into
/// place only when the whole retrieve succeeded: a failed or interrupted retrieve leaves
/// nothing behind, and an existing output is touched only with `overwrite`.
enum RetrievalFolder {
    /// Why `output` cannot receive a retrieve, or nil.
    static func problem(_ output: URL, overwrite: Bool) -> String? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: output.path, isDirectory: &isDir) else { return nil }
        if !isDir.boolValue { return "\(output.path): exists and is not a folder" }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []
        if !entries.isEmpty && !overwrite {
            return "\(output.path): folder not empty (use --overwrite to add the retrieved files, replacing those of the same name)"
        }
        return nil
    }

    static func stage(for output: URL) throws -> URL {
        let parent = output.deletingLastPathComponent()
        try InterruptCleanup.createDirectory(at: parent)
        let staging = parent.appendingPathComponent(".kira-tmp-pacs-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
        } catch {
            throw PACSError.local("\(parent.path): cannot create a staging folder: \(error.localizedDescription)")
        }
        InterruptCleanup.registerTree(staging)
        return staging
    }

    static func discard(_ staging: URL) {
        try? FileManager.default.removeItem(at: staging)
        InterruptCleanup.unregisterTree(staging)
    }

    static func files(in folder: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "dcm" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Moves the staged files into `output` (renaming the folder when `output` is absent or
    /// empty) and returns the files now in place.
    static func commit(_ staging: URL, to output: URL) throws -> [URL] {
        defer { InterruptCleanup.unregisterTree(staging) }
        let names = files(in: staging).map(\.lastPathComponent)
        let fm = FileManager.default
        if fm.fileExists(atPath: output.path), (try? fm.contentsOfDirectory(atPath: output.path))?.isEmpty == true {
            rmdir(output.path)
        }
        if !fm.fileExists(atPath: output.path) {
            guard rename(staging.path, output.path) == 0 else {
                let e = String(cString: strerror(errno))
                try? fm.removeItem(at: staging)
                throw PACSError.local("\(output.path): cannot move the retrieved files into place: \(e)")
            }
        } else {
            for n in names {
                guard rename(staging.appendingPathComponent(n).path, output.appendingPathComponent(n).path) == 0 else {
                    let e = String(cString: strerror(errno))
                    try? fm.removeItem(at: staging)
                    throw PACSError.local("\(output.appendingPathComponent(n).path): cannot move into place: \(e)")
                }
            }
            try? fm.removeItem(at: staging)
        }
        return names.map { output.appendingPathComponent($0) }
    }
}
