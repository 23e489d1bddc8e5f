/// A DICOM application entity to talk to: where it listens, what it is called, and what Kira
/// calls itself. `description` is what every message names (no credentials exist at this level).
public struct PACSNode: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var calledAET: String
    public var callingAET: String
    /// Seconds for the TCP connect and for each network read.
    public var timeout: Int

    public init(host: String, port: Int, calledAET: String, callingAET: String = "KIRA", timeout: Int = 30) {
        self.host = host
        self.port = port
        self.calledAET = calledAET
        self.callingAET = callingAET
        self.timeout = timeout
    }

    public var description: String { "\(calledAET)@\(host):\(port)" }

    /// Why the node cannot be used, or nil. AE titles are at most 16 characters of the
    /// default character set, without backslash or control characters (PS3.5 6.2).
    public static func problem(host: String, port: Int, calledAET: String, callingAET: String) -> String? {
        if host.isEmpty { return "--host is empty" }
        if !(1...65535).contains(port) { return "--port \(port) is not a TCP port (1–65535)" }
        for (name, aet) in [("--called-aet", calledAET), ("--calling-aet", callingAET)] {
            if let p = aetProblem(aet) { return "\(name) '\(aet)': \(p)" }
        }
        return nil
    }

    static func aetProblem(_ aet: String) -> String? {
        let trimmed = aet.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return "an AE title cannot be empty" }
        if aet.utf8.count > 16 { return "an AE title has at most 16 characters" }
        if aet.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value > 0x7E || $0 == "\\" }) {
            return "an AE title holds printable ASCII only, no backslash"
        }
        return nil
    }
}

import Foundation
