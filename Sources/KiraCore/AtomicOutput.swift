import Foundation

/// Writes go to a hidden temporary file in the destination folder and are renamed into
/// place only when complete, so an interrupted or failed write never leaves a partial file
/// (the temporary path is registered with `InterruptCleanup` while it exists).
public enum AtomicOutput {
    /// A temporary path beside `destination` that keeps its extension (niftilib picks
    /// compression from it).
    public static func temporaryPath(for destination: URL) -> URL {
        let name = destination.lastPathComponent
        let token = UUID().uuidString.prefix(8)
        return destination.deletingLastPathComponent().appendingPathComponent(".kira-tmp-\(token)-\(name)")
    }

    /// Runs `write` against a temporary path, then renames it to `destination`. A destination
    /// that exists and is not a regular file (`/dev/null`, `/dev/stdout`, a named pipe) is
    /// written directly: a rename would replace the device or pipe with a plain file.
    public static func write(to destination: URL, _ write: (URL) throws -> Void) throws {
        if isSpecialFile(destination.path) { return try write(destination) }
        if let problem = OutputLocation.problem(writingInto: destination.deletingLastPathComponent()) {
            throw KiraError.writeFailed(path: destination.path, reason: problem)
        }
        let tmp = temporaryPath(for: destination)
        InterruptCleanup.register(tmp)
        // The folder may pass access() and still refuse files (root in /proc, some FUSE
        // mounts); niftilib would then print its own error with the temporary name.
        let fd = open(tmp.path, O_CREAT | O_EXCL | O_WRONLY, 0o644)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            InterruptCleanup.unregister(tmp)
            let folder = destination.deletingLastPathComponent().path
            throw KiraError.writeFailed(path: destination.path, reason: "cannot create a file in the folder '\(folder.isEmpty ? "." : folder)' (\(reason))")
        }
        close(fd)
        do {
            try write(tmp)
            let code = InterruptCleanup.commit(tmp, to: destination)
            if code != 0 {
                throw KiraError.writeFailed(path: destination.path, reason: String(cString: strerror(code)))
            }
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            InterruptCleanup.unregister(tmp)
            throw error
        }
    }

    public static func write(_ data: Data, to destination: URL) throws {
        try write(to: destination) { tmp in
            do { try data.write(to: tmp) } catch { throw KiraError.writeFailed(path: destination.path, reason: error.localizedDescription) }
        }
    }

    /// Whether `path` exists as something other than a regular file or folder (after symlinks).
    public static func isSpecialFile(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        let type = st.st_mode & S_IFMT
        return type != S_IFREG && type != S_IFDIR
    }
}
