import ArgumentParser
import Foundation
import KiraCore

struct QCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qc",
        abstract: "Reproducibility and segmentation QC: ICC, feature stability, mask overlap, image–mask checks.",
        subcommands: [QCICCCommand.self, QCStabilityCommand.self, QCOverlapCommand.self, QCGeometryCommand.self]
    )
}

/// Shared by the qc subcommands: JSON on stdout, messages on stderr, documented exit codes.
enum QCOutput {
    static let exitText = """
    EXIT CODES:
      0  the measures were computed (and, for geometry, every check passed)
      1  bad usage, an unreadable or invalid input, or nothing could be computed; for
         stability -o, also an output that is an input, not .csv, or exists without --overwrite
      2  geometry only: the checks ran and at least one finding is listed
      130  interrupted by SIGINT, 143 by SIGTERM (temporary files removed)
    """

    static func printJSON<T: Encodable>(_ value: T) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try enc.encode(value), as: UTF8.self))
    }

    static func warn(_ command: String, _ message: String) {
        FileHandle.standardError.write(Data("kira qc \(command): \(message)\n".utf8))
    }

    /// Prints the error and exits with 1; every qc failure that is not a finding ends here.
    static func fail(_ command: String, _ error: Error) -> ExitCode {
        warn(command, FailureText.describe(error))
        return ExitCode(KiraExit.failure.rawValue)
    }

    static func format(_ v: Double?, digits: Int = 6) -> String {
        guard let v else { return "n/a" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        return String(format: "%.\(digits)g", v)
    }
}

/// A number in JSON, or null when it is not finite (an infinite F, an undefined distance).
struct JSONNumber: Encodable {
    var value: Double?
    init(_ v: Double?) { value = v }
    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if let value, value.isFinite { try c.encode(value) } else { try c.encodeNil() }
    }
}
