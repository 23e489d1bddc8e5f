import Foundation

/// The checks every command makes on its output paths before it reads anything: no output
/// is one of the inputs (by resolved path, and by device and inode when both exist, so hard
/// links and symlinks count), no two outputs are one file, an output's extension names the
/// format written, and an existing output is replaced only when the user said so.
public enum OutputGuard {
    /// What a command writes to one path.
    public enum Format: Sendable, Equatable {
        case csv, nifti, json, html, pdf, png
        /// A DICOM Part 10 file (a segmentation or structured report).
        case dicom
        /// A folder the command writes files into (it may exist; its files are checked one by one).
        case folder

        var extensions: [String] {
            switch self {
            case .csv: [".csv"]
            case .nifti: [".nii", ".nii.gz"]
            case .json: [".json"]
            case .dicom: [".dcm"]
            case .html: [".html", ".htm"]
            case .pdf: [".pdf"]
            case .png: [".png"]
            case .folder: []
            }
        }

        var name: String {
            switch self {
            case .csv: "CSV"
            case .nifti: "NIfTI"
            case .json: "JSON"
            case .dicom: "DICOM"
            case .html: "HTML"
            case .pdf: "PDF"
            case .png: "PNG"
            case .folder: "a folder"
            }
        }
    }

    /// One output path, with the option it was given by (for messages).
    public struct Output: Sendable, Equatable {
        public var path: String
        public var option: String
        public var format: Format

        public init(_ path: String, option: String, format: Format) {
            self.path = path
            self.option = option
            self.format = format
        }

        /// A NIfTI and the JSON sidecar written beside it.
        public static func niftiWithSidecar(_ path: String, option: String) -> [Output] {
            [Output(path, option: option, format: .nifti),
             Output(OutputGuard.sidecarPath(for: path), option: "the sidecar of \(option)", format: .json)]
        }
    }

    /// `out.nii.gz` → `out.json`: where a NIfTI's sidecar goes.
    public static func sidecarPath(for nifti: String) -> String {
        var path = nifti
        for ext in [".nii.gz", ".nii"] where path.hasSuffix(ext) {
            path.removeLast(ext.count)
            break
        }
        return path + ".json"
    }

    /// Throws `KiraError.invalidArgument` naming both paths for the first problem found.
    /// `inputs` may hold files or folders; paths that do not exist are compared by name.
    public static func check(_ outputs: [Output], inputs: [String], overwrite: Bool) throws {
        for o in outputs where o.format != .folder && !AtomicOutput.isSpecialFile(o.path) {
            if !o.format.extensions.contains(where: { o.path.hasSuffix($0) }) {
                let list = o.format.extensions.joined(separator: " or ")
                throw KiraError.invalidArgument("\(o.option) '\(o.path)' must end in \(list): the command writes \(o.format.name) there")
            }
        }
        for o in outputs where !AtomicOutput.isSpecialFile(o.path) {
            for input in inputs where !AtomicOutput.isSpecialFile(input) {
                // An output folder may be an input folder: outputs are named apart from the files in it.
                if o.format == .folder && isDirectory(input) { continue }
                if isSameFile(o.path, input) {
                    let how = resolvedPath(o.path) == resolvedPath(input) ? "is" : "is a link to (the same file as)"
                    throw KiraError.invalidArgument("\(o.option) '\(o.path)' \(how) the input '\(input)'; an input is never written over: choose another output")
                }
            }
        }
        for (i, a) in outputs.enumerated() where !AtomicOutput.isSpecialFile(a.path) {
            for b in outputs[(i + 1)...] where isSameFile(a.path, b.path) {
                throw KiraError.invalidArgument("\(a.option) '\(a.path)' and \(b.option) '\(b.path)' are the same file; give each output its own path")
            }
        }
        if !overwrite {
            for o in outputs where o.format != .folder && !AtomicOutput.isSpecialFile(o.path) {
                if FileManager.default.fileExists(atPath: o.path) {
                    throw KiraError.invalidArgument("\(o.option) '\(o.path)' exists; pass --overwrite to replace it")
                }
            }
        }
    }

    /// Whether `a` and `b` name one file: equal device and inode when both exist (hard links,
    /// symlinks), else equal paths once symlinks in their folders are resolved.
    public static func isSameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        let ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0
        if ea && eb { return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino }
        if ea != eb { return false }
        return resolvedPath(a) == resolvedPath(b)
    }

    /// The absolute path with symlinks resolved as far as it exists.
    static func resolvedPath(_ path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL
        if let r = realpath(absolute.path, nil) {
            defer { free(r) }
            return String(cString: r)
        }
        let parent = absolute.deletingLastPathComponent()
        if parent.path == absolute.path { return absolute.path }
        return URL(fileURLWithPath: resolvedPath(parent.path)).appendingPathComponent(absolute.lastPathComponent).path
    }

    static func isDirectory(_ path: String) -> Bool { OutputLocation.isFolder(path) == true }
}
