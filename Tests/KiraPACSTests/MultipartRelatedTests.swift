import Foundation
import Testing
@testable import KiraPACS

/// The multipart/related parser against bodies built here byte by byte, including parts that
/// contain the boundary text without the CRLF before it and bytes that are not UTF-8.
@Suite struct MultipartRelatedTests {
    private func body(_ parts: [Data], boundary: String, preamble: String = "", padding: String = "") -> Data {
        var d = Data(preamble.utf8)
        for (i, p) in parts.enumerated() {
            d += Data(((i == 0 && preamble.isEmpty) ? "" : "\r\n").utf8)
            d += Data("--\(boundary)\(padding)\r\nContent-Type: application/dicom\r\n\r\n".utf8)
            d += p
        }
        d += Data("\r\n--\(boundary)--\r\n".utf8)
        return d
    }

    @Test(arguments: [("", ""), ("ignored preamble", ""), ("", "  \t")])
    func partsComeBackByteForByte(preamble: String, padding: String) throws {
        let boundary = "b0f2-41"
        let a = Data((0..<300).map { UInt8(($0 * 7) & 0xFF) })
        let b = Data("x--b0f2-41 inside but not after CRLF".utf8) + Data([0xFF, 0xFE, 0x0D])
        let c = Data()
        let parsed = try MultipartRelated.parse(body([a, b, c], boundary: boundary, preamble: preamble, padding: padding), boundary: boundary)
        #expect(parsed.map(\.body) == [a, b, c])
        #expect(parsed.allSatisfy { $0.headers["content-type"] == "application/dicom" })
    }

    @Test func boundaryParameterQuotedOrNot() {
        #expect(MultipartRelated.boundary(contentType: #"multipart/related; type="application/dicom"; boundary="abc def""#) == "abc def")
        #expect(MultipartRelated.boundary(contentType: "multipart/related;boundary=xyz;type=application/dicom") == "xyz")
        #expect(MultipartRelated.boundary(contentType: "application/dicom") == nil)
    }

    @Test func truncatedBodyIsAnError() {
        var d = body([Data("abc".utf8)], boundary: "q")
        d.removeLast(8)
        #expect(throws: PACSError.self) { try MultipartRelated.parse(d, boundary: "q") }
    }

    @Test func credentialsNeverInTheEndpointsText() throws {
        let e = try DICOMwebEndpoint("http://alice:s3cr%40t@pacs.example:8042/dicom-web/?x=1")
        #expect(e.description == "http://pacs.example:8042/dicom-web")
        #expect(e.authorization == "Basic " + Data("alice:s3cr@t".utf8).base64EncodedString())
        #expect(DICOMwebEndpoint.redact("http://alice:pw@host/x") == "http://***@host/x")
        #expect(throws: PACSError.self) { try DICOMwebEndpoint("ftp://alice:pw@host/x") }
        do { _ = try DICOMwebEndpoint("ftp://alice:pw@host/x") } catch { #expect(!"\(error)".contains("pw")) }
    }
}
