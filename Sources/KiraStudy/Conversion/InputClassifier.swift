import Foundation
import KiraIO

/// Inputs with an image extension go to `ImageFileReader`; everything else is offered to
/// the DICOM scanner, because DICOM files often have no extension at all.
public enum InputClassifier {
    public static func isImageFile(_ url: URL) -> Bool { ImageFileReader.kind(of: url) != nil }

    public static func isDirectory(_ url: URL) -> Bool {
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &d) && d.boolValue
    }
}
