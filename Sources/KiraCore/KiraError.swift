/// Errors every adapter and command share, each naming the file, series or key at fault.
public enum KiraError: Error, Sendable, CustomStringConvertible {
    /// The file could not be opened or read at all.
    case unreadable(path: String, reason: String)
    /// The file ends before its declared content.
    case truncated(path: String, reason: String)
    /// The file is not in a format this reader understands.
    case unsupportedFormat(path: String, reason: String)
    /// A DICOM series cannot form one regular grid (missing slices, mixed sizes, uneven gaps).
    case inconsistentSeries(series: String, reason: String)
    /// Spacing, size or direction that no grid can have.
    case invalidGeometry(path: String, reason: String)
    /// A mask whose grid differs from its image's.
    case gridMismatch(mask: String, image: String, differences: [GeometryDifference])
    /// A user-supplied value (template, label, option) that cannot be used.
    case invalidArgument(String)
    /// Inconsistent in-memory data.
    case invalidData(String)
    /// Writing an output failed.
    case writeFailed(path: String, reason: String)
    /// A buffer whose size comes from the input (a header, a spacing, a K) exceeds the
    /// allocation budget (`AllocationBudget`): `subject` names the buffer and file or case.
    case tooLarge(subject: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(p, r): "\(p): cannot read: \(r)"
        case let .truncated(p, r): "\(p): truncated: \(r)"
        case let .unsupportedFormat(p, r): "\(p): unsupported: \(r)"
        case let .inconsistentSeries(s, r): "series \(s): \(r)"
        case let .invalidGeometry(p, r): "\(p): invalid geometry: \(r)"
        case let .gridMismatch(m, i, d):
            "mask \(m) is not on the grid of image \(i): " + d.map(\.description).joined(separator: "; ")
        case let .invalidArgument(s): s
        case let .invalidData(s): s
        case let .writeFailed(p, r): "\(p): cannot write: \(r)"
        case let .tooLarge(s, r): "\(s): too large: \(r)"
        }
    }
}
