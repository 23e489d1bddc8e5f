import Foundation

/// Splits command-line inputs into files Kira reads by extension (NIfTI, NRRD, rasters)
/// and everything else, which is offered to the DICOM scanner (DICOM files often have no
/// extension at all).
enum InputKind: Equatable {
    case nifti, nrrd, raster, dicomCandidate
}

enum InputClassifier {
    static func kind(of url: URL) -> InputKind {
        let name = url.lastPathComponent.lowercased()
        if name.hasSuffix(".nii") || name.hasSuffix(".nii.gz") { return .nifti }
        if name.hasSuffix(".nrrd") || name.hasSuffix(".nhdr") { return .nrrd }
        for ext in [".png", ".jpg", ".jpeg", ".tif", ".tiff"] where name.hasSuffix(ext) { return .raster }
        return .dicomCandidate
    }

    static func isDirectory(_ url: URL) -> Bool {
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &d) && d.boolValue
    }
}
