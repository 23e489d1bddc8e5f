import Foundation
import KiraCore

/// DICOM Part 10 files: the 128-byte preamble, "DICM", the file meta information (group 2)
/// and the data set, all explicit VR little endian (transfer syntax 1.2.840.10008.1.2.1).
public enum DICOMPart10 {
    public static let explicitVRLittleEndian = "1.2.840.10008.1.2.1"
    public static let implementationVersionName = "KIRA_SYNTH"

    /// The file's bytes; SOP class and instance UIDs are taken from (0008,0016) and (0008,0018).
    public static func encode(_ dataset: DICOMDataSet, implementationUID: String) -> Data {
        func text(_ tag: UInt32) -> String {
            guard case let .bytes(d)? = dataset.elements[tag]?.value else { return "" }
            return String(decoding: d.prefix(while: { $0 != 0 && $0 != 0x20 }), as: UTF8.self)
        }
        var meta = DICOMDataSet()
        meta.set(0x0002, 0x0001, "OB", bytes: Data([0, 1]))
        meta.set(0x0002, 0x0002, "UI", text(DICOMDataSet.tag(0x0008, 0x0016)))
        meta.set(0x0002, 0x0003, "UI", text(DICOMDataSet.tag(0x0008, 0x0018)))
        meta.set(0x0002, 0x0010, "UI", explicitVRLittleEndian)
        meta.set(0x0002, 0x0012, "UI", implementationUID)
        meta.set(0x0002, 0x0013, "SH", implementationVersionName)
        let metaBytes = meta.encoded()
        var groupLength = DICOMDataSet()
        groupLength.set(0x0002, 0x0000, ul: metaBytes.count)
        var file = Data(count: 128)
        file += Data("DICM".utf8)
        file += groupLength.encoded()
        file += metaBytes
        file += dataset.encoded()
        return file
    }

    /// Writes the file atomically (temporary file, then rename).
    public static func write(_ dataset: DICOMDataSet, implementationUID: String, to url: URL) throws {
        try AtomicOutput.write(encode(dataset, implementationUID: implementationUID), to: url)
    }
}
