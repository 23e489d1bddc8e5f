import Foundation

/// What a conversion run wrote, what failed and what was skipped, each with its file.
public struct ConversionReport: Encodable, Sendable {
    public struct Output: Encodable, Sendable {
        public var path: String
        public var sidecar: String
        public var size: [Int]
        public var spacing: [Double]
        public var modality: String
        public var series: String?
    }
    public struct Issue: Encodable, Sendable {
        public var file: String
        public var reason: String
    }
    public var outputs: [Output] = []
    public var failures: [Issue] = []
    public var skipped: [Issue] = []
    /// How many of `skipped`, at its start, are not DICOM at all (the others are DICOM objects
    /// without images, named one by one in the log); not part of the JSON report.
    public var skippedNonDICOM = 0

    enum CodingKeys: String, CodingKey { case outputs, failures, skipped }

    public init() {}

    public func jsonData() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try enc.encode(self)
    }
}
