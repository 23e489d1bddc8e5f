import Foundation

/// A multipart/related body (RFC 2387 over RFC 2046's multipart syntax), as WADO-RS sends
/// DICOM instances: parts separated by CRLF "--boundary", each with its own headers.
enum MultipartRelated {
    struct Part {
        var headers: [String: String]
        var body: Data
    }

    /// The boundary parameter of a Content-Type header, unquoted, or nil.
    static func boundary(contentType: String) -> String? {
        for param in contentType.split(separator: ";").dropFirst() {
            let kv = param.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, kv[0].lowercased() == "boundary" else { continue }
            var v = kv[1]
            if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
            return v.isEmpty ? nil : v
        }
        return nil
    }

    static func parse(_ body: Data, boundary: String) throws -> [Part] {
        let dash = Data("--\(boundary)".utf8)
        let delimiter = Data("\r\n--\(boundary)".utf8)
        let crlf = Data("\r\n".utf8), headerEnd = Data("\r\n\r\n".utf8)
        // The first delimiter may open the body (no CRLF before it) or follow a preamble.
        var pos: Int
        if body.starts(with: dash) {
            pos = dash.count
        } else if let r = find(delimiter, in: body, from: 0) {
            pos = r + delimiter.count
        } else {
            throw PACSError.local("multipart body without the boundary '\(boundary)'")
        }
        var parts: [Part] = []
        while true {
            if body.count >= pos + 2, body[body.startIndex + pos] == 0x2D, body[body.startIndex + pos + 1] == 0x2D { return parts }
            // Transport padding after the delimiter, then the CRLF that ends its line.
            guard let lineEnd = find(crlf, in: body, from: pos) else { throw PACSError.local("multipart body ends inside a delimiter line") }
            let headStart = lineEnd + 2
            let headers: [String: String]
            let contentStart: Int
            if body.count >= headStart + 2, body[body.startIndex + headStart] == 0x0D, body[body.startIndex + headStart + 1] == 0x0A {
                headers = [:]
                contentStart = headStart + 2
            } else {
                guard let h = find(headerEnd, in: body, from: headStart) else { throw PACSError.local("multipart part without the end of its headers") }
                headers = parseHeaders(body.subdata(in: body.startIndex + headStart ..< body.startIndex + h))
                contentStart = h + 4
            }
            guard let next = find(delimiter, in: body, from: contentStart) else {
                throw PACSError.local("multipart body truncated: part \(parts.count + 1) has no closing boundary")
            }
            parts.append(Part(headers: headers, body: body.subdata(in: body.startIndex + contentStart ..< body.startIndex + next)))
            pos = next + delimiter.count
        }
    }

    private static func parseHeaders(_ data: Data) -> [String: String] {
        var h: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            h[line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return h
    }

    /// Offset (from the start of `data`) of the first `needle` at or after `from`.
    static func find(_ needle: Data, in data: Data, from: Int) -> Int? {
        guard from <= data.count, !needle.isEmpty else { return nil }
        return data.withUnsafeBytes { (hay: UnsafeRawBufferPointer) -> Int? in
            needle.withUnsafeBytes { (n: UnsafeRawBufferPointer) -> Int? in
                guard let base = hay.baseAddress else { return nil }
                let first = Int32(n[0])
                var at = from
                // memchr to the next candidate first byte, memcmp for the rest.
                while hay.count - at >= n.count {
                    guard let hit = memchr(base + at, first, hay.count - at - n.count + 1) else { return nil }
                    let offset = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + offset, n.baseAddress!, n.count) == 0 { return offset }
                    at = offset + 1
                }
                return nil
            }
        }
    }
}
