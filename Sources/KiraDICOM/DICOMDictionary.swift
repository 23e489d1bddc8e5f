import CDcmtk
import KiraCore

/// The DICOM data dictionary dcmtk uses to read implicit-VR files and private tags.
/// Kira compiles it in (generated from dcmtk's `dicom.dic` and `private.dic`) because
/// parsing the text files cost more than converting a small series; setting
/// `DCMDICTPATH` makes dcmtk read the named files instead.
public enum DICOMDictionary {
    /// True when the compiled-in table is in use.
    public static var isCompiledIn: Bool { kira_dcm_dictionary_is_compiled_in() == 1 }

    /// How the dictionary in use differs from dcmtk's own parse of a dictionary text file.
    public struct Comparison: Sendable {
        public var entries: Int
        public var differences: Int
        /// The first difference, empty when there is none.
        public var firstDifference: String
    }

    public static func compare(withFile path: String) throws -> Comparison {
        var entries = 0, differences = 0
        var msg = [CChar](repeating: 0, count: 512)
        let rc = kira_dcm_dictionary_differences(path, &entries, &differences, &msg, msg.count)
        guard rc == Int32(KIRA_DCM_OK) else { throw KiraError.unreadable(path: path, reason: cText(msg)) }
        return Comparison(entries: entries, differences: differences, firstDifference: cText(msg))
    }
}
