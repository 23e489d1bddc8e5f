import Foundation
import KiraCore

/// Where every frame of a series goes in the output grid, and the grid itself.
struct SeriesLayout {
    var geometry: Geometry
    var timepoints: Int
    /// Frame for each output slot, slot = t * nz + z.
    var slots: [FrameInfo]
    var warnings: [String] = []
    var frameTimes: [Double]?

    static func make(_ s: DICOMSeries) throws -> SeriesLayout {
        let name = s.displayName
        let frames = s.frames
        guard let first = frames.first else { throw KiraError.inconsistentSeries(series: name, reason: "no image frames") }
        let h0 = s.headers[first.fileIndex]
        let spacing2 = first.pixelSpacing ?? [1, 1]
        for f in frames {
            if let ps = f.pixelSpacing, ps != spacing2 {
                if ps.count >= 2, abs(ps[0] - spacing2[0]) > 1e-4 || abs(ps[1] - spacing2[1]) > 1e-4 {
                    throw KiraError.inconsistentSeries(series: name,
                        reason: "pixel spacing differs between frames (\(spacing2) in \(h0.url.lastPathComponent), \(ps) in \(s.headers[f.fileIndex].url.lastPathComponent))")
                }
            }
        }
        for f in frames {
            if let ps = f.pixelSpacing, ps.count < 2 || !(ps[0] > 0) || !(ps[1] > 0) {
                throw KiraError.invalidGeometry(path: s.headers[f.fileIndex].url.path,
                                                reason: "pixel spacing \(ps.map { String($0) }.joined(separator: "\\")) mm is not positive")
            }
        }
        let size2 = SIMD2(h0.columns, h0.rows)
        var layout: SeriesLayout
        let positioned = frames.allSatisfy { $0.position != nil && $0.orientation != nil }
        if positioned, let o = first.orientation {
            var row = SIMD3(o[0], o[1], o[2]), col = SIMD3(o[3], o[4], o[5])
            guard norm(row) > 0.5, norm(col) > 0.5 else {
                throw KiraError.invalidGeometry(path: h0.url.path, reason: "ImageOrientationPatient \(o) is degenerate")
            }
            row /= norm(row); col /= norm(col)
            var normal = cross(row, col)
            guard norm(normal) > 0.5 else {
                throw KiraError.invalidGeometry(path: h0.url.path, reason: "ImageOrientationPatient rows and columns are parallel")
            }
            normal /= norm(normal)
            // Positions along the normal, grouped into slices (a slice holds one frame per phase).
            let sorted = frames.map { (dot($0.position!, normal), $0) }.sorted { $0.0 < $1.0 }
            var clusters: [[(Double, FrameInfo)]] = []
            for item in sorted {
                if let last = clusters.last?.first, item.0 - last.0 < 1e-2 {
                    clusters[clusters.count - 1].append(item)
                } else {
                    clusters.append([item])
                }
            }
            let counts = clusters.map(\.count)
            let nt = counts[0]
            if Set(counts).count > 1 {
                let detail = zip(clusters, counts).prefix(8)
                    .map { String(format: "%.2f mm: %d", $0.0[0].0, $0.1) }.joined(separator: ", ")
                throw KiraError.inconsistentSeries(series: name,
                    reason: "slice positions hold different numbers of frames (\(detail)…); a slice or phase is missing")
            }
            let nz = clusters.count
            var warnings: [String] = []
            var dz = first.sliceThickness ?? 1
            if nz > 1 {
                let gaps = (1..<nz).map { clusters[$0][0].0 - clusters[$0 - 1][0].0 }
                let median = gaps.sorted()[gaps.count / 2]
                if let (i, g) = gaps.enumerated().first(where: { $0.1 > 1.5 * median }) {
                    throw KiraError.inconsistentSeries(series: name,
                        reason: String(format: "missing slice: gap of %.3f mm between slices %d and %d where the usual gap is %.3f mm", g, i + 1, i + 2, median))
                }
                let spread = (gaps.max()! - gaps.min()!)
                if spread > max(1e-3, 0.01 * median) {
                    warnings.append(String(format: "uneven slice gaps: %.4f to %.4f mm; spacing uses the mean", gaps.min()!, gaps.max()!))
                }
                dz = (clusters[nz - 1][0].0 - clusters[0][0].0) / Double(nz - 1)
                // Positions that drift within the plane (gantry tilt) do not fit a grid whose
                // k axis is the slice normal; Kira keeps the normal and says so.
                let span = clusters[nz - 1][0].1.position! - clusters[0][0].1.position!
                let drift = norm(span - normal * dot(span, normal))
                if drift > 1e-2 {
                    warnings.append(String(format: "slices are sheared (gantry tilt?): positions drift %.3f mm within the image plane; the grid uses the slice normal", drift))
                }
            }
            if !(dz > 0) { dz = 1 }
            var slots = [FrameInfo](repeating: first, count: nz * nt)
            for (z, c) in clusters.enumerated() {
                let ordered = c.map(\.1).sorted { $0.temporalKey.precedes($1.temporalKey) }
                for (t, f) in ordered.enumerated() { slots[t * nz + z] = f }
            }
            let g = Geometry(size: [size2.x, size2.y, nz], spacing: [spacing2[1], spacing2[0], dz],
                             origin: slots[0].position!, direction: Matrix3(columns: row, col, normal))
            layout = SeriesLayout(geometry: g, timepoints: nt, slots: slots, warnings: warnings)
        } else {
            // Projection and cine images: no slice geometry, so frames become time points.
            let ordered = frames.sorted { $0.temporalKey.precedes($1.temporalKey, then: Double($0.fileIndex), Double($1.fileIndex)) }
            var direction = Matrix3.identity
            if let o = first.orientation, o.count >= 6 {
                let row = SIMD3(o[0], o[1], o[2]), col = SIMD3(o[3], o[4], o[5])
                let n = cross(row, col)
                if norm(n) > 0.5 { direction = Matrix3(columns: row / norm(row), col / norm(col), n / norm(n)) }
            }
            let g = Geometry(size: [size2.x, size2.y, 1], spacing: [spacing2[1], spacing2[0], first.sliceThickness ?? 1],
                             origin: first.position ?? .zero, direction: direction)
            layout = SeriesLayout(geometry: g, timepoints: ordered.count, slots: ordered)
        }
        for h in s.headers {
            if let dz = h.stackedAtSpacing {
                layout.warnings.append("\(h.url.lastPathComponent): \(h.numberOfFrames) frames without per-frame positions; stacked as slices \(DICOMValue.format(dz)) mm apart (SpacingBetweenSlices) along the slice normal")
            }
        }
        if let e = layout.geometry.validationErrors().first {
            throw KiraError.invalidGeometry(path: h0.url.path, reason: e)
        }
        layout.frameTimes = frameTimes(layout, header: h0)
        return layout
    }

    /// Seconds of each time point: trigger times when they differ, else acquisition
    /// times relative to the first phase, else the cine frame time.
    private static func frameTimes(_ l: SeriesLayout, header: FileHeader) -> [Double]? {
        guard l.timepoints > 1 else { return nil }
        let nz = l.geometry.size.z
        let firsts = (0..<l.timepoints).map { l.slots[$0 * nz] }
        let trig = firsts.compactMap(\.triggerTimeMs)
        if trig.count == firsts.count, Set(trig).count > 1 { return trig.map { $0 / 1000 } }
        // A phase starts when its earliest slice was acquired.
        let acq = (0..<l.timepoints).map { t in (0..<nz).compactMap { l.slots[t * nz + $0].acquisitionSeconds }.min() }
        if acq.allSatisfy({ $0 != nil }), Set(acq.map { $0! }).count > 1 {
            let t0 = acq[0]!
            return acq.map { $0! - t0 }
        }
        if let ft = header.frameTimeMs { return (0..<l.timepoints).map { Double($0) * ft / 1000 } }
        return nil
    }
}

