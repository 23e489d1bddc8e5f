import Foundation
import KiraCore

extension DICOMSeries {
    /// The grid and the file of each slice in the grid's order, for a series of one
    /// single-frame file per slice (what a derived object references frame by frame).
    public func sliceFiles() throws -> (geometry: Geometry, files: [URL]) {
        let layout = try SeriesLayout.make(self)
        guard layout.timepoints == 1, layout.slots.count == layout.geometry.size.z,
              layout.slots.allSatisfy({ $0.frame == 0 }),
              Set(layout.slots.map(\.fileIndex)).count == layout.slots.count else {
            throw KiraError.unsupportedFormat(path: displayName,
                reason: "a series of one single-frame file per slice is needed (this one has \(headers.count) file(s), \(layout.slots.count) frame(s), \(layout.timepoints) time point(s))")
        }
        return (layout.geometry, layout.slots.map { headers[$0.fileIndex].url })
    }
}
