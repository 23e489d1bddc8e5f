import Foundation

/// Plain-words checks of where outputs go, made before anything is written: a writer that
/// fails inside niftilib or Foundation says "** ERROR (nifti_image_write_hdr_img2)" with a
/// temporary name, or "NSCocoaErrorDomain error 512", and names neither the folder nor why.
public enum OutputLocation {
    /// Why files cannot be written into `folder`, or nil when they can.
    public static func problem(writingInto folder: URL) -> String? {
        let path = folder.path.isEmpty ? "." : folder.path
        guard let isFolder = isFolder(path) else {
            if let file = fileOnTheWay(to: folder) { return "'\(file)' is a file, not a folder" }
            return "the folder '\(path)' does not exist"
        }
        guard isFolder else { return "'\(path)' is a file, not a folder" }
        guard access(path, W_OK) == 0 else { return "the folder '\(path)' is not writable (\(String(cString: strerror(errno))))" }
        return nil
    }

    /// Creates `folder` and any missing parents, or throws naming the part that could not be made.
    /// Returns the folders it created, outermost first, so a failed run can remove them.
    @discardableResult
    public static func createFolder(_ folder: URL) throws -> [URL] {
        var missing: [URL] = []
        var u = folder.standardizedFileURL
        while true {
            if let isFolder = isFolder(u.path) {
                guard isFolder else {
                    throw KiraError.writeFailed(path: folder.path, reason: "'\(u.path)' is a file, not a folder")
                }
                break
            }
            missing.append(u)
            let parent = u.deletingLastPathComponent()
            if parent.path == u.path { break }
            u = parent
        }
        var created: [URL] = []
        for dir in missing.reversed() {
            guard mkdir(dir.path, 0o777) == 0 || errno == EEXIST else {
                let reason = String(cString: strerror(errno))
                for c in created.reversed() { rmdir(c.path) }
                throw KiraError.writeFailed(path: folder.path, reason: "cannot create the folder '\(dir.path)': \(reason)")
            }
            created.append(dir)
        }
        return created
    }

    /// Whether `path` is a folder (after symlinks); nil when nothing is there.
    static func isFolder(_ path: String) -> Bool? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return st.st_mode & S_IFMT == S_IFDIR
    }

    /// The nearest existing ancestor of `url` when it is not a folder.
    private static func fileOnTheWay(to url: URL) -> String? {
        var u = url.standardizedFileURL
        while u.path != "/" {
            u = u.deletingLastPathComponent()
            if let isFolder = isFolder(u.path) { return isFolder ? nil : u.path }
        }
        return nil
    }
}
