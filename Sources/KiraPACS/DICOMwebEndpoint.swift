import Foundation

/// A DICOMweb service root such as `http://pacs:8042/dicom-web`. Credentials given in the
/// URL (`user:password@`) or as a bearer token become an Authorization header and are kept
/// out of `description`, which is what every message and output shows.
public struct DICOMwebEndpoint: Sendable, CustomStringConvertible {
    /// The root without user information, query or fragment.
    public let base: URL
    let authorization: String?
    public let timeout: Double

    public init(_ text: String, bearerToken: String? = nil, timeout: Double = 60) throws {
        guard var c = URLComponents(string: text), let scheme = c.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = c.host, !host.isEmpty
        else {
            throw PACSError.local("DICOMweb URL '\(DICOMwebEndpoint.redact(text))' is not an http(s) URL with a host")
        }
        var auth: String?
        if let user = c.user {
            let pair = "\(user):\(c.password ?? "")"
            auth = "Basic " + Data(pair.utf8).base64EncodedString()
        }
        if let t = bearerToken, !t.isEmpty { auth = "Bearer \(t)" }
        c.user = nil
        c.password = nil
        c.query = nil
        c.fragment = nil
        while c.path.hasSuffix("/") { c.path.removeLast() }
        guard let url = c.url else { throw PACSError.local("DICOMweb URL '\(DICOMwebEndpoint.redact(text))' cannot be used") }
        base = url
        authorization = auth
        self.timeout = timeout
    }

    public var description: String { base.absoluteString }

    /// The URL text with any user information replaced, for messages about a URL that failed to parse.
    public static func redact(_ text: String) -> String {
        guard let at = text.firstIndex(of: "@"), let scheme = text.range(of: "://"), scheme.upperBound <= at else { return text }
        return String(text[..<scheme.upperBound]) + "***@" + String(text[text.index(after: at)...])
    }

    func url(_ path: String, query: [(String, String)] = []) -> URL {
        var c = URLComponents(url: base, resolvingAgainstBaseURL: false)!
        c.path += path
        if !query.isEmpty { c.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        return c.url!
    }
}
