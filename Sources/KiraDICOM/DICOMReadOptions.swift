import Foundation
import KiraCore

public struct DICOMReadOptions: Sendable {
    /// Keep colour images as 3 components instead of converting to luminance.
    public var keepRGB: Bool = false
    /// Copy patient-identifying attributes (names, IDs, dates, UIDs) into metadata.
    public var keepPHI: Bool = false
    /// Philips' floating-point values (stored value / ScaleSlope (2005,100E), plus the
    /// rescale intercept scaled alike) instead of the displayed RescaleSlope/Intercept values.
    public var philipsPrecise: Bool = false
    public init(keepRGB: Bool = false, keepPHI: Bool = false, philipsPrecise: Bool = false) {
        self.keepRGB = keepRGB
        self.keepPHI = keepPHI
        self.philipsPrecise = philipsPrecise
    }
}

/// A file the scanner did not turn into part of a series, with the reason.
public struct DICOMFileIssue: Sendable {
    public let file: String
    public let reason: String
    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }
}

public struct DICOMScanResult: Sendable {
    public var series: [DICOMSeries]
    /// Files that are not DICOM at all.
    public var skippedNonDICOM: [DICOMFileIssue]
    /// DICOM files that could not be read (truncated, corrupt), and files
    /// left out of their series (a lone slice of another matrix size, slices beyond the hole it left).
    public var failures: [DICOMFileIssue]
    /// DICOM Segmentation objects: masks, read with `DICOMSegReader`, not image series.
    public var segmentations: [URL] = []
    /// DICOM objects without pixel data (RT Structure Sets, reports, presentation states),
    /// each with its SOP class named.
    public var nonImageObjects: [DICOMFileIssue] = []

    public init(series: [DICOMSeries] = [], skippedNonDICOM: [DICOMFileIssue] = [], failures: [DICOMFileIssue] = []) {
        self.series = series
        self.skippedNonDICOM = skippedNonDICOM
        self.failures = failures
    }
}
