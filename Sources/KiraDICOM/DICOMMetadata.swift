import Foundation
import KiraCore

/// Sidecar keys named as dcm2niix names them (BIDS), so Kira's JSON lines up with theirs.
enum DICOMMetadata {
    private enum Kind { case string, number, integer, strings, secondsFromMs }

    private static let bids: [(String, String, Kind)] = [
        ("Modality", "(0008,0060)", .string),
        ("Manufacturer", "(0008,0070)", .string),
        ("ManufacturersModelName", "(0008,1090)", .string),
        ("MagneticFieldStrength", "(0018,0087)", .number),
        ("SeriesDescription", "(0008,103E)", .string),
        ("ProtocolName", "(0018,1030)", .string),
        ("SeriesNumber", "(0020,0011)", .integer),
        ("ImageType", "(0008,0008)", .strings),
        ("EchoTime", "(0018,0081)", .secondsFromMs),
        ("EchoNumber", "(0018,0086)", .integer),
        ("RepetitionTime", "(0018,0080)", .secondsFromMs),
        ("InversionTime", "(0018,0082)", .secondsFromMs),
        ("FlipAngle", "(0018,1314)", .number),
        ("SliceThickness", "(0018,0050)", .number),
        ("SpacingBetweenSlices", "(0018,0088)", .number),
        ("BodyPartExamined", "(0018,0015)", .string),
        ("PhotometricInterpretation", "(0028,0004)", .string),
        ("ImageLaterality", "(0020,0062)", .string),
        ("Laterality", "(0020,0060)", .string),
        ("ViewPosition", "(0018,5101)", .string),
        ("PresentationIntentType", "(0008,0068)", .string),
        ("ScanningSequence", "(0018,0020)", .strings),
        ("SequenceName", "(0018,0024)", .string),
        ("StationName", "(0008,1010)", .string),
        ("SoftwareVersions", "(0018,1020)", .string),
    ]

    /// Values found in enhanced files' shared functional groups when absent at the top level.
    private static let enhancedFallbacks: [(String, String, Kind)] = [
        ("EchoTime", "(5200,9229)[0].(0018,9114)[0].(0018,9082)", .secondsFromMs),
        ("RepetitionTime", "(5200,9229)[0].(0018,9112)[0].(0018,0080)", .secondsFromMs),
        ("FlipAngle", "(5200,9229)[0].(0018,9112)[0].(0018,1314)", .number),
        ("SliceThickness", "(5200,9229)[0].(0028,9110)[0].(0018,0050)", .number),
        ("EchoTime", "(5200,9230)[0].(0018,9114)[0].(0018,9082)", .secondsFromMs),
        ("SliceThickness", "(5200,9230)[0].(0028,9110)[0].(0018,0050)", .number),
    ]

    private static let identifying: [(String, String, Kind)] = [
        ("PatientName", "(0010,0010)", .string),
        ("PatientID", "(0010,0020)", .string),
        ("PatientBirthDate", "(0010,0030)", .string),
        ("PatientSex", "(0010,0040)", .string),
        ("PatientAge", "(0010,1010)", .string),
        ("AccessionNumber", "(0008,0050)", .string),
        ("InstitutionName", "(0008,0080)", .string),
        ("InstitutionAddress", "(0008,0081)", .string),
        ("ReferringPhysicianName", "(0008,0090)", .string),
        ("StudyDate", "(0008,0020)", .string),
        ("SeriesDate", "(0008,0021)", .string),
        ("AcquisitionDate", "(0008,0022)", .string),
        ("StudyTime", "(0008,0030)", .string),
        ("AcquisitionTime", "(0008,0032)", .string),
        ("StudyID", "(0020,0010)", .string),
        ("StudyInstanceUID", "(0020,000D)", .string),
        ("SeriesInstanceUID", "(0020,000E)", .string),
        ("FrameOfReferenceUID", "(0020,0052)", .string),
        ("DeviceSerialNumber", "(0018,1000)", .string),
    ]

    static func extract(_ f: DcmtkFile) -> (meta: [String: MetaValue], phi: [String: MetaValue]) {
        var meta: [String: MetaValue] = [:]
        for (key, path, kind) in bids {
            if let v = value(f.string(path), kind) { meta[key] = v }
        }
        for (key, path, kind) in enhancedFallbacks where meta[key] == nil {
            if let v = value(f.string(path), kind) { meta[key] = v }
        }
        var phi: [String: MetaValue] = [:]
        for (key, path, kind) in identifying {
            if let v = value(f.string(path), kind) { phi[key] = v }
        }
        return (meta, phi)
    }

    private static func value(_ raw: String?, _ kind: Kind) -> MetaValue? {
        guard let raw, !raw.isEmpty else { return nil }
        switch kind {
        case .string: return .string(raw)
        case .strings: return .array(raw.split(separator: "\\").map { .string(String($0)) })
        case .number: return DICOMValue.double(raw).map { .number($0) }
        case .integer: return DICOMValue.int(raw).map { .integer($0) }
        case .secondsFromMs: return DICOMValue.double(raw).map { .number($0 / 1000) }
        }
    }
}
