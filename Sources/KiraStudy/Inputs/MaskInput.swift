import Foundation
import KiraCore
import KiraDICOM
import KiraIO
import Logging

/// Where every command reads a mask: a label map file (NIfTI, NRRD, raster) or an RT
/// Structure Set, whose ROI (`roi`, or its only one) is rasterised onto the grid of the
/// image series it references (see `RTStructRasteriser` for the rule). That series is
/// looked for under `image` when it is a DICOM folder, then around the RTSTRUCT file
/// (`RTStructMask.searchFolders`).
public enum MaskInput {
    /// The label map (an RTSTRUCT gives 0/1).
    public static func readLabels(_ url: URL, roi: String?, image: URL?, logger: Logger) throws -> Volume {
        if RTStructFile.isRTStruct(url) {
            return try RTStructMask.read(url, roi: roi, searchIn: image.map { [$0] } ?? [], logger: logger)
        }
        if let roi {
            throw KiraError.invalidArgument("--roi \"\(roi)\" applies to RT Structure Set masks; \(url.path) is not one")
        }
        return try ImageFileReader.readLabels(url)
    }

    /// `MaskReader.read` for either kind of mask file: binary uint8, checked against `image`'s grid.
    public static func read(_ url: URL, label: Int?, roi: String?, matching image: Geometry?, imagePath: String?, logger: Logger) throws -> Volume {
        if let label, label == 0 {
            throw KiraError.invalidArgument("mask label 0 is the background; choose a non-zero label for \(url.path)")
        }
        let labels = try readLabels(url, roi: roi, image: imagePath.map { URL(fileURLWithPath: $0) }, logger: logger)
        let roiName = labels.metadata["MaskROI"]
        var mask = try MaskReader.mask(from: labels, url: url, label: label, matching: image, imagePath: imagePath)
        if let roiName { mask.metadata["MaskROI"] = roiName }
        return mask
    }
}
