import Foundation
import KiraCore

/// The JSON written beside every NIfTI: acquisition parameters from the reader, the grid,
/// the source and the converter, with patient-identifying fields removed unless kept.
public enum Sidecar {
    public static func document(for volume: Volume, sources: [String], keepPHI: Bool) -> [String: MetaValue] {
        document(for: volume.header, sources: sources, keepPHI: keepPHI)
    }

    public static func document(for volume: VolumeHeader, sources: [String], keepPHI: Bool) -> [String: MetaValue] {
        var doc = keepPHI ? volume.metadata : PHIFields.removing(from: volume.metadata)
        let g = volume.geometry
        doc["KiraGeometry"] = .object([
            "Size": .array(volume.size4D.map { .integer($0) }),
            "Spacing": MetaValue(g.spacing),
            "OriginLPS": MetaValue(g.origin),
            "DirectionLPS": .array(g.direction.columns.map { MetaValue($0) }),
            "AffineRAS": .array(g.affineRAS.map { MetaValue($0) }),
            "Components": .integer(volume.components),
            "ScalarType": .string(volume.scalarType.rawValue),
        ])
        doc["SourceFiles"] = .array(sources.map { .string($0) })
        doc["ConversionSoftware"] = "Kira"
        doc["ConversionSoftwareVersion"] = .string(KiraVersion.current)
        return doc
    }

    public static func encode(_ doc: [String: MetaValue]) throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try enc.encode(doc)
    }

    public static func write(_ doc: [String: MetaValue], to url: URL) throws {
        try AtomicOutput.write(try encode(doc) + Data("\n".utf8), to: url)
    }
}
