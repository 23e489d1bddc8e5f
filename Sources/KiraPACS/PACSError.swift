/// Why a PACS or DICOMweb operation failed; every case names the node (or URL without
/// credentials) and what was asked.
public enum PACSError: Error, Sendable, CustomStringConvertible {
    /// No connection: nothing listening, unknown host, or a timeout.
    case unreachable(node: String, reason: String)
    /// The peer rejected the association, or accepted it without the service asked for.
    case refused(node: String, reason: String)
    /// The query matched nothing.
    case noMatches(node: String, query: String)
    /// The service ran and answered with a failure (some or all objects not moved).
    case failed(node: String, reason: String, received: Int)
    /// Anything local: a folder that cannot be written, a port in use, a bad argument.
    case local(String)

    public var description: String {
        switch self {
        case let .unreachable(n, r): "PACS \(n) unreachable: \(r)"
        case let .refused(n, r): "PACS \(n) refused: \(r)"
        case let .noMatches(n, q): "PACS \(n): no match for \(q)"
        case let .failed(n, r, _): "PACS \(n): \(r)"
        case let .local(s): s
        }
    }
}
