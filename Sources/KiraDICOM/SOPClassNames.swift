/// Names of the storage SOP classes a breast-imaging archive holds besides images, so a file
/// that is DICOM but not an image is called what it is (an RT Structure Set is not
/// "non-DICOM"). UIDs from DICOM PS3.4 Annex B; unlisted classes are named by UID.
enum SOPClassNames {
    static let names: [String: String] = [
        "1.2.840.10008.5.1.4.1.1.481.3": "RT Structure Set",
        "1.2.840.10008.5.1.4.1.1.66.4": "Segmentation",
        "1.2.840.10008.5.1.4.1.1.88.11": "Basic Text SR",
        "1.2.840.10008.5.1.4.1.1.88.22": "Enhanced SR",
        "1.2.840.10008.5.1.4.1.1.88.33": "Comprehensive SR",
        "1.2.840.10008.5.1.4.1.1.88.34": "Comprehensive 3D SR",
        "1.2.840.10008.5.1.4.1.1.88.50": "Mammography CAD SR",
        "1.2.840.10008.5.1.4.1.1.88.59": "Key Object Selection Document",
        "1.2.840.10008.5.1.4.1.1.11.1": "Grayscale Softcopy Presentation State",
        "1.2.840.10008.5.1.4.1.1.104.1": "Encapsulated PDF",
        "1.2.840.10008.5.1.4.1.1.66": "Raw Data",
        "1.2.840.10008.5.1.4.1.1.66.1": "Spatial Registration",
        "1.2.840.10008.1.3.10": "Media Storage Directory (DICOMDIR)",
    ]

    /// "RT Structure Set (SOP class 1.2.840.10008.5.1.4.1.1.481.3)", or the UID alone.
    static func describe(_ uid: String) -> String {
        guard !uid.isEmpty else { return "DICOM object without a SOP class" }
        return names[uid].map { "\($0) (SOP class \(uid))" } ?? "DICOM object of SOP class \(uid)"
    }
}
