import Foundation
import KiraCore
import KiraDICOM
import KiraTestSupport
import Logging
import Testing

let testLogger = Logger(label: "kira.dicom.tests")

/// The reason printed when ../shared/reference is absent.
let referenceMissing = Comment(rawValue: TestPaths.referenceMissing)

/// Scans `urls` and loads the one series they must form.
func loadSingleSeries(_ urls: [URL], options: DICOMReadOptions = .init()) throws -> Volume {
    let r = DICOMScanner.scan(urls, options: options, logger: testLogger)
    #expect(r.failures.isEmpty, "\(r.failures.map { "\($0.file): \($0.reason)" })")
    try #require(r.series.count == 1, "expected one series, got \(r.series.map(\.key))")
    return try r.series[0].load(options: options, logger: testLogger)
}

func sample(_ relative: String) -> URL { TestPaths.reference("dicom/samples/" + relative) }

/// Largest voxel-by-voxel difference of two volumes on the same grid (infinity when the
/// buffers differ in length).
func maxDifference(_ a: Volume, _ b: Volume) -> Double {
    guard a.voxels.count == b.voxels.count else { return .infinity }
    var m = 0.0
    for i in 0..<a.voxels.count { m = max(m, abs(a.voxels[i] - b.voxels[i])) }
    return m
}

/// Mean absolute voxel difference of two volumes on the same grid.
func meanDifference(_ a: Volume, _ b: Volume) -> Double {
    guard a.voxels.count == b.voxels.count, a.voxels.count > 0 else { return .infinity }
    var s = 0.0
    for i in 0..<a.voxels.count { s += abs(a.voxels[i] - b.voxels[i]) }
    return s / Double(a.voxels.count)
}
