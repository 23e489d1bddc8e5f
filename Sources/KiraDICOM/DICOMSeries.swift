import Foundation
import KiraCore
import Logging

/// One grid's worth of DICOM frames (one SeriesInstanceUID, split by orientation, size,
/// echo and image kind). Phases of a dynamic series stay together and load as 4D.
///
/// Frames without plane position (projection radiographs, cine ultrasound, enhanced files
/// lacking plane groups) load as a single slice with one time point per frame, ordered
/// by temporal position, trigger time, acquisition time, instance number and frame.
public struct DICOMSeries: Sendable {
    /// Stable and unique: series number plus a hash of the SeriesInstanceUID, with a
    /// suffix when the UID had to be split.
    public let key: String
    public let files: [URL]
    public var summary: [String: MetaValue]
    let headers: [FileHeader]
    let frames: [FrameInfo]

    init(key: String, files: [URL], summary: [String: MetaValue], headers: [FileHeader], frames: [FrameInfo]) {
        self.key = key
        self.files = files
        self.summary = summary
        self.headers = headers
        self.frames = frames
    }

    /// The key with the series description, for messages.
    var displayName: String {
        if let d = summary["SeriesDescription"]?.stringValue, !d.isEmpty { return "\(key) (\(d))" }
        return key
    }

    static let nativeSyntaxes: Set<String> = ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"]

    public func load(options: DICOMReadOptions, logger: Logger) throws -> Volume {
        let layout = try SeriesLayout.make(self)
        let plan = try OutputPlan.make(self, frames: frames, options: options)
        let g = layout.geometry
        let frameValues = g.size.x * g.size.y * plan.components
        let total = frameValues * layout.slots.count
        logger.debug("loading \(displayName): \(g.size.x)×\(g.size.y)×\(g.size.z)×\(layout.timepoints) \(plan.scalar.rawValue)")

        // Work units: (file, [(frame, slot)]); a big multi-frame file is split so that
        // both cores decode it, each with its own dcmtk handle.
        var perFile: [[(Int, Int)]] = Array(repeating: [], count: headers.count)
        for (slot, f) in layout.slots.enumerated() { perFile[f.fileIndex].append((f.frame, slot)) }
        var units: [(Int, [(Int, Int)])] = []
        let cores = ProcessInfo.processInfo.activeProcessorCount
        for (fi, list) in perFile.enumerated() where !list.isEmpty {
            let sorted = list.sorted { $0.0 < $1.0 }
            // Each extra chunk parses the file again, which only pays off when frames
            // must be decompressed; native frames are a copy.
            let compressed = !Self.nativeSyntaxes.contains(headers[fi].transferSyntax)
            let chunks = headers.count >= cores || !compressed ? 1 : max(1, min(cores, sorted.count / 4))
            let per = (sorted.count + chunks - 1) / chunks
            for c in stride(from: 0, to: sorted.count, by: per) { units.append((fi, Array(sorted[c..<min(sorted.count, c + per)]))) }
        }

        let voxels: VoxelBuffer
        func decode<T: OutputSample>(_ t: T.Type) throws -> ([T], ValueRange) {
            try decodeAll(t, total, units, layout, plan, frameValues)
        }
        switch plan.scalar {
        case .uint8: voxels = .uint8(try decode(UInt8.self).0)
        case .int16: voxels = .int16(try decode(Int16.self).0)
        case .uint16: voxels = .uint16(try decode(UInt16.self).0)
        case .int32 where plan.integerRescale:
            // Most rescaled series (CT's -1024 offset) fit in int16: decode straight into
            // it, and only when some value does not fit decode again into the narrowest
            // type that holds them all, so no int32 copy of the volume is ever made.
            var (narrow, range) = try decode(Int16.self)
            if range.fits(Int16.self) {
                voxels = .int16(narrow)
            } else {
                narrow = []
                voxels = range.lo >= 0 && range.fits(UInt16.self) ? .uint16(try decode(UInt16.self).0) : .int32(try decode(Int32.self).0)
            }
        case .int32: voxels = .int32(try decode(Int32.self).0)
        default: voxels = .float32(try decode(Float.self).0)
        }

        var meta = headers[0].metadata
        if options.keepPHI { meta.merge(headers[0].phi) { a, _ in a } }
        meta.merge(plan.notes) { _, b in b }
        meta["SpacingSource"] = .string(headers[0].spacingSource)
        meta["SourceFileCount"] = .integer(files.count)
        meta["TransferSyntaxUID"] = .string(headers[0].transferSyntax)
        if let e = frames.first?.echoTime { meta["EchoTime"] = .number(e / 1000) }
        if !layout.warnings.isEmpty { meta["Warnings"] = .array(layout.warnings.map { .string($0) }) }
        if let ft = layout.frameTimes { meta["FrameTimes"] = MetaValue(ft) }
        if plan.rescale {
            let slopes = Set(frames.map(\.slope)), intercepts = Set(frames.map(\.intercept))
            if slopes.count == 1 { meta["RescaleSlope"] = .number(slopes.first!) }
            if intercepts.count == 1 { meta["RescaleIntercept"] = .number(intercepts.first!) }
        }
        for w in layout.warnings { logger.warning("\(displayName): \(w)") }
        return try Volume(geometry: g, timepoints: layout.timepoints, components: plan.components, voxels: voxels, metadata: meta)
    }

    private func decodeAll<T: OutputSample>(_: T.Type, _ total: Int, _ units: [(Int, [(Int, Int)])],
                                            _ layout: SeriesLayout, _ plan: OutputPlan, _ frameValues: Int) throws -> ([T], ValueRange) {
        var range = ValueRange()
        let out = try [T](unsafeUninitializedCapacity: total) { buf, count in
            let shared = SharedPointer(base: buf.baseAddress!)
            let results: [Result<ValueRange, Error>] = concurrentMap(units.count) { u in
                let base = shared.base
                let (fi, list) = units[u]
                var range = ValueRange()
                do {
                    let dec = try FrameDecoder(header: headers[fi], needsPalette: plan.colour == .palette)
                    var samples: [Int32] = []
                    for (_, slot) in list {
                        let f = layout.slots[slot]
                        let rescale = plan.integerRescale ? (slope: Int64(f.slope), intercept: Int64(f.intercept)) : nil
                        if plan.colour == .monochrome, !plan.rescale || plan.integerRescale,
                           try T.decodeDirect(dec, frame: f, to: base + slot * frameValues, invert: plan.invert,
                                              rescale: rescale, range: &range) {
                            continue
                        }
                        let model = try dec.decode(frame: f.frame, tile: f.tile, into: &samples)
                        try SampleWriter.write(samples, model: model, header: headers[fi], frame: f, plan: plan,
                                               palette: dec.palette, to: base + slot * frameValues, range: &range)
                    }
                    return .success(range)
                } catch {
                    return .failure(error)
                }
            }
            for r in results {
                switch r {
                case let .success(unitRange): range.merge(unitRange)
                case let .failure(e): throw e
                }
            }
            count = total
        }
        return (out, range)
    }
}
