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
    public var files: [URL] { headers.map(\.url) }
    /// The first file's sidecar keys (read from it again: the scan keeps no file's) with
    /// the stack's counts, size, image kind and echo time.
    public var summary: [String: MetaValue] {
        var s = summaryKeys
        let read: (meta: [String: MetaValue], phi: [String: MetaValue])
        do { read = try HeaderReader.metadata(summarySource) } catch { return s }
        s.merge(read.meta) { a, _ in a }
        if keepPHI { s.merge(read.phi) { a, _ in a } }
        return s
    }
    /// dcm2niix's post-fix for what sets this stack apart from the others of its UID
    /// (`_ph`, `_real`, `_imaginary`, `_i2`), without the echo's; empty when the UID was not split.
    public internal(set) var namePostfix = ""
    /// `_e<N>` when the UID's stacks differ in echo; a name template holding `{echo}` already says it.
    public internal(set) var echoPostfix = ""
    let headers: [FileHeader]
    let frames: [FrameInfo]
    /// The first file of the series' UID, whose metadata the summary shows.
    let summarySource: FileHeader
    let summaryKeys: [String: MetaValue]
    let keepPHI: Bool

    init(key: String, headers: [FileHeader], frames: [FrameInfo], summarySource: FileHeader,
         summaryKeys: [String: MetaValue], keepPHI: Bool) {
        self.key = key
        self.headers = headers
        self.frames = frames
        self.summarySource = summarySource
        self.summaryKeys = summaryKeys
        self.keepPHI = keepPHI
    }

    /// The key with the series description, for messages.
    var displayName: String {
        let d = summarySource.seriesDescription
        return d.isEmpty ? key : "\(key) (\(d))"
    }

    /// The series with Philips' floating-point scaling in each frame's slope and intercept:
    /// FP = (PV·RS + RI) / (RS·SS) = PV / SS + RI / (RS·SS). Frames without a scale slope
    /// (field maps) keep the rescale.
    func withPhilipsPrecise() -> DICOMSeries {
        let precise = frames.map { f -> FrameInfo in
            guard let ss = f.philipsScaleSlope, f.slope != 0 else { return f }
            var p = f
            p.slope = 1 / ss
            p.intercept = f.intercept / (f.slope * ss)
            return p
        }
        var s = DICOMSeries(key: key, headers: headers, frames: precise, summarySource: summarySource,
                            summaryKeys: summaryKeys, keepPHI: keepPHI)
        s.namePostfix = namePostfix
        s.echoPostfix = echoPostfix
        return s
    }

    /// Frames larger than this are decoded in bands of this size on the way to a sink.
    static let bandBytes = 1 << 20

    static let nativeSyntaxes: Set<String> = ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"]

    /// Everything about the series' output that is known before its pixels are decoded:
    /// the grid, the frame order, the output type and the metadata.
    public struct Plan: Sendable {
        /// The header of the volume as it will be decoded. Its scalar type is the first
        /// attempt: a rescaled series may end up in a wider type (see `FrameSink.begin`).
        public let header: VolumeHeader
        let layout: SeriesLayout
        let output: OutputPlan
        let units: [(Int, [(Int, Int)])]
    }

    public func plan(options: DICOMReadOptions) throws -> Plan {
        // Decoding reads each slot's slope and intercept, so the precise ones go in the frames.
        let precise = options.philipsPrecise && frames.contains { $0.philipsScaleSlope != nil }
        let source = precise ? withPhilipsPrecise() : self
        let layout = try SeriesLayout.make(source)
        let plan = try OutputPlan.make(source, frames: source.frames, options: options)

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
        // Workers take units in this order: by first output frame, frames reach a sink
        // nearly in storage order (a compressed file is written in that order).
        units = units.map { ($0, $0.1.lazy.map(\.1).min() ?? 0) }.sorted { $0.1 < $1.1 }.map(\.0)

        let (firstMeta, phi) = try HeaderReader.metadata(headers[0])
        var meta = firstMeta
        if options.keepPHI { meta.merge(phi) { a, _ in a } }
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
        if precise {
            meta["PhilipsPrecise"] = true
            let scales = Set(frames.compactMap(\.philipsScaleSlope))
            if scales.count == 1 { meta["PhilipsScaleSlope"] = .number(scales.first!) }
            let slopes = Set(frames.map(\.slope)), intercepts = Set(frames.map(\.intercept))
            if slopes.count == 1 { meta["PhilipsRescaleSlope"] = .number(slopes.first!) }
            if intercepts.count == 1 { meta["PhilipsRescaleIntercept"] = .number(intercepts.first!) }
            meta["PhilipsPreciseFormula"] = "(stored × RescaleSlope + RescaleIntercept) / (RescaleSlope × PhilipsScaleSlope)"
        }
        // Most rescaled series (CT's -1024 offset) fit in int16: they are decoded straight
        // into it, and only when some value does not fit decoded again into the narrowest
        // type that holds them all, so no int32 copy of the volume is ever made.
        let first: ScalarType = switch plan.scalar {
        case .uint8, .int16, .uint16: plan.scalar
        case .int32: plan.integerRescale ? .int16 : .int32
        default: .float32
        }
        let header = VolumeHeader(geometry: layout.geometry, timepoints: layout.timepoints,
                                  components: plan.components, scalarType: first, metadata: meta)
        return Plan(header: header, layout: layout, output: plan, units: units)
    }

    public func load(options: DICOMReadOptions, logger: Logger) throws -> Volume {
        try load(plan(options: options), logger: logger)
    }

    /// Decodes the whole series into memory.
    public func load(_ p: Plan, logger: Logger) throws -> Volume {
        logStart(p, logger)
        var voxels: VoxelBuffer?
        func decode<T: OutputSample>(_: T.Type, _ wrap: ([T]) -> VoxelBuffer) throws -> ValueRange {
            voxels = nil  // A narrower attempt is dropped before the wider one is allocated.
            let total = try AllocationBudget.check("series \(key): voxel data", factors: [p.header.frameValues, p.header.frameCount],
                                                   elementBytes: MemoryLayout<T>.stride)
            var range = ValueRange()
            let out = try [T](unsafeUninitializedCapacity: total) { buf, count in
                range = try decodeAll(T.self, p, .memory(SharedPointer(base: buf.baseAddress!)))
                count = total
            }
            voxels = wrap(out)
            return range
        }
        _ = try settleType(p) { type in
            switch type {
            case .uint8: try decode(UInt8.self, VoxelBuffer.uint8)
            case .int16: try decode(Int16.self, VoxelBuffer.int16)
            case .uint16: try decode(UInt16.self, VoxelBuffer.uint16)
            case .int32: try decode(Int32.self, VoxelBuffer.int32)
            case .float32, .float64: try decode(Float.self, VoxelBuffer.float32)
            }
        }
        logWarnings(p, logger)
        return try Volume(geometry: p.header.geometry, timepoints: p.header.timepoints, components: p.header.components,
                          voxels: voxels!, metadata: p.header.metadata)
    }

    /// Decodes the series frame by frame into `sink`, holding a frame per worker rather than
    /// the volume. Returns the header as decoded (its scalar type may be wider than the plan's).
    @discardableResult
    public func stream(_ p: Plan, into sink: FrameSink, logger: Logger) throws -> VolumeHeader {
        logStart(p, logger)
        var header = p.header
        func decode<T: OutputSample>(_: T.Type) throws -> ValueRange {
            try sink.begin(header)
            return try decodeAll(T.self, p, .sink(sink))
        }
        // Each attempt begins the sink again in its own type; the last one is the file's.
        _ = try settleType(p) { type in
            header.scalarType = type
            switch type {
            case .uint8: return try decode(UInt8.self)
            case .int16: return try decode(Int16.self)
            case .uint16: return try decode(UInt16.self)
            case .int32: return try decode(Int32.self)
            case .float32, .float64: return try decode(Float.self)
            }
        }
        logWarnings(p, logger)
        return header
    }

    /// Decodes in the plan's scalar type and, when a rescaled series' values do not fit
    /// int16, again in the narrowest type that holds them all (uint16, else int32).
    /// Returns the type the series ended up in.
    private func settleType(_ p: Plan, _ decode: (ScalarType) throws -> ValueRange) throws -> ScalarType {
        let first = p.header.scalarType
        let range = try decode(first)
        guard first == .int16, p.output.integerRescale, !range.fits(Int16.self) else { return first }
        let wider: ScalarType = range.lo >= 0 && range.fits(UInt16.self) ? .uint16 : .int32
        _ = try decode(wider)
        return wider
    }

    private func logStart(_ p: Plan, _ logger: Logger) {
        let g = p.header.geometry
        logger.debug("loading \(displayName): \(g.size.x)×\(g.size.y)×\(g.size.z)×\(p.header.timepoints) \(p.output.scalar.rawValue)")
    }

    private func logWarnings(_ p: Plan, _ logger: Logger) {
        for w in p.layout.warnings { logger.warning("\(displayName): \(w)") }
    }

    /// Where decoded frames go: straight into one volume buffer, or through a frame-sized
    /// buffer per work unit to a sink.
    private enum Destination<T>: @unchecked Sendable {
        case memory(SharedPointer<T>)
        case sink(FrameSink)
    }

    private func decodeAll<T: OutputSample>(_: T.Type, _ p: Plan, _ destination: Destination<T>) throws -> ValueRange {
        let (layout, plan, units) = (p.layout, p.output, p.units)
        let frameValues = p.header.frameValues
        let results: [Result<ValueRange, Error>] = concurrentMap(units.count) { u in
            let (fi, list) = units[u]
            var range = ValueRange()
            var scratch: UnsafeMutablePointer<T>?
            defer { scratch?.deallocate() }
            do {
                let dec = try FrameDecoder(header: headers[fi], needsPalette: plan.colour == .palette)
                var samples: [Int32] = []
                let direct = plan.colour == .monochrome && (!plan.rescale || plan.integerRescale)
                // A large frame going to a sink is decoded a band at a time when its pixel
                // data allows, so not even one frame (a mammogram's is 24 MB) is held whole.
                let bandSink: FrameSink? = if case let .sink(sink) = destination, direct,
                                              frameValues * MemoryLayout<T>.stride > Self.bandBytes { sink } else { nil }
                for (_, slot) in list {
                    let dst: UnsafeMutablePointer<T>
                    switch destination {
                    case let .memory(shared): dst = shared.base + slot * frameValues
                    case .sink:
                        if scratch == nil { scratch = .allocate(capacity: frameValues) }
                        dst = scratch!
                    }
                    let f = layout.slots[slot]
                    let rescale = plan.integerRescale ? (slope: Int64(f.slope), intercept: Int64(f.intercept)) : nil
                    if let sink = bandSink,
                       try T.decodeDirectBands(dec, frame: f, bandBytes: Self.bandBytes, invert: plan.invert, rescale: rescale,
                                               range: &range, emit: { band, first in
                                                   try sink.write(frame: slot, at: first * MemoryLayout<T>.stride, UnsafeRawBufferPointer(band))
                                               }) {
                        continue
                    }
                    let decodedDirectly = try direct
                        && T.decodeDirect(dec, frame: f, to: dst, invert: plan.invert, rescale: rescale, range: &range)
                    if !decodedDirectly {
                        let model = try dec.decode(frame: f.frame, tile: f.tile, into: &samples)
                        try SampleWriter.write(samples, model: model, header: headers[fi], frame: f, plan: plan,
                                               palette: dec.palette, to: dst, range: &range)
                    }
                    if case let .sink(sink) = destination {
                        try sink.write(frame: slot, UnsafeRawBufferPointer(start: dst, count: frameValues * MemoryLayout<T>.stride))
                    }
                }
                return .success(range)
            } catch {
                return .failure(error)
            }
        }
        var range = ValueRange()
        for r in results {
            switch r {
            case let .success(unitRange): range.merge(unitRange)
            case let .failure(e): throw e
            }
        }
        return range
    }
}
