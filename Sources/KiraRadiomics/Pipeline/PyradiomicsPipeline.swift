import Foundation
import KiraCore
import KiraPreprocess
import Logging

/// The pyradiomics-compatible path (pyradiomics 3.x `RadiomicsFeatureExtractor.execute`):
/// normalise → resample onto pyradiomics' grid (or pre-crop) → mask checks → re-segmentation →
/// shape on the cropped mask → each image type, cropped to the ROI's bounding box → the enabled
/// feature classes, named `<imageType>_<class>_<Feature>`.
public enum PyradiomicsPipeline {
    /// The ROI cut to its bounding box: intensities, mask and discretised levels, numpy order.
    public struct CroppedROI: Sendable {
        public var nx: Int, ny: Int, nz: Int
        public var spacing: SIMD3<Double>
        public let values: [Double]
        public let mask: [Bool]
        /// The intensities inside the mask, in box order (kept: first order, binning and the
        /// finiteness check each need them).
        public let roiValues: [Double]

        init(nx: Int, ny: Int, nz: Int, spacing: SIMD3<Double>, values: [Double], mask: [Bool]) {
            self.nx = nx; self.ny = ny; self.nz = nz
            self.spacing = spacing
            self.values = values
            self.mask = mask
            var inside: [Double] = []
            inside.reserveCapacity(mask.reduce(0) { $0 + ($1 ? 1 : 0) })
            for (v, m) in zip(values, mask) where m { inside.append(v) }
            roiValues = inside
        }
    }

    /// Inclusive bounding box of the mask, voxel indices (x, y, z).
    struct Box: Equatable { var lo: SIMD3<Int>; var hi: SIMD3<Int>; var size: SIMD3<Int> { hi &- lo &+ 1 } }

    /// A mask kept only over a box of the image grid (x fastest): the whole-grid flags are
    /// dropped once the ROI's bounding box is known.
    struct BoxMask {
        var box: Box
        var flags: [Bool]

        init(box: Box, flags: [Bool]) { self.box = box; self.flags = flags }

        /// The non-zero bytes of a grid of `grid` voxels (a byte mask, or `[Bool]`'s storage)
        /// inside `box`.
        init(nonZero b: UnsafeRawBufferPointer, grid: SIMD3<Int>, box: Box) {
            self.box = box
            flags = []
            flags.reserveCapacity(box.size.x * box.size.y * box.size.z)
            for z in box.lo.z...box.hi.z { for y in box.lo.y...box.hi.y {
                let row = (z * grid.y + y) * grid.x
                for x in box.lo.x...box.hi.x { flags.append(b[row + x] != 0) }
            } }
        }

        /// This mask cut to `inner`, a box inside its own (itself when they are the same).
        func cut(to inner: Box) -> BoxMask {
            guard inner != box else { return self }
            let shifted = Box(lo: inner.lo &- box.lo, hi: inner.hi &- box.lo)
            let part = flags.withUnsafeBytes { BoxMask(nonZero: $0, grid: box.size, box: shifted) }
            return BoxMask(box: inner, flags: part.flags)
        }
    }

    public static func run(image: Volume, mask: consuming Volume, settings s: ExtractionSettings,
                           logger: Logger = Logger(label: "kira.radiomics")) throws -> FeatureSet {
        guard image.components == 1, image.timepoints == 1 else {
            throw KiraError.invalidArgument("radiomics needs a 3D grey-level image; this one has \(image.timepoints) time points and \(image.components) components")
        }
        let p = try prepare(image: image, mask: consume mask, settings: s)
        var diagnostics = p.diagnostics
        let (image, original, featureMask, box) = (p.image, p.originalMask, p.featureMask, p.box)
        let enabled = s.enabledFeatures ?? Dictionary(uniqueKeysWithValues: SettingsFile.pyradiomicsClasses.filter { $0 != "shape2D" }.map { ($0, [String]()) })
        let classes = ["firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm"].filter { enabled[$0] != nil }
        // pyradiomics filters the whole (preprocessed) image; only the ROI box of each map is
        // kept, and LoG and wavelets compute just that box (equal to the whole-image maps).
        // Each image type is one filter task, each internally parallel. `maps` runs them one
        // at a time, the next only once the maps before it are nearly done, and starts a map's
        // crop, levels and per-class jobs only while few maps are in flight: both cores stay
        // busy (shape runs here meanwhile) while a filter's working set, the maps waiting and
        // the maps' levels are never all held at once.
        let region = FilterRegion(lo: box.lo, size: box.size)
        let specs = ConcurrentResults<Result<[MapOutput], any Error>>(count: s.imageTypes.count)
        let group = DispatchGroup(), queue = DispatchQueue.global(qos: .userInitiated)
        let maps = MapScheduler(queue: queue, group: group, limit: 2)
        for (i, spec) in s.imageTypes.enumerated() {
            var local = s
            applyOverrides(spec.parameters, to: &local)
            maps.addFilter { [local] in
                do {
                    let outs = try ImageFilters.apply(spec, to: image, mask: nil, output: region).map { filtered in
                        let m = MapOutput(prefix: filtered.prefix, settings: local, count: classes.count)
                        maps.add(m, cost: expectedLevels(filtered.image, local.features.discretisation)) {
                            let roi = cropped(filtered.image, featureMask, box, mapOrigin: filtered.cropIndex ?? .zero)
                            let (jobs, ng) = try classJobs(roi, classes: classes, settings: local)
                            m.greyLevels.set(0, ng)
                            return jobs.enumerated().map { j, job in { m.values.set(j, job()) } }
                        }
                        return m
                    }
                    specs.set(i, .success(outs))
                } catch {
                    specs.set(i, .failure(error))
                }
            }
        }
        var rows: [FeatureRow] = []
        let shapeMask = s.resegmentShape ? featureMask : original
        if let names = enabled["shape"] {
            let roi = cropped(image, shapeMask, box)
            rows += output("original", "shape", PyradiomicsShape.features(roi), names, s)
        }
        if let names = enabled["shape2D"] {
            // pyradiomics' gate reads the (x, y, z) bounding box at index force2Ddimension.
            if !s.force2D {
                logger.warning("shape2D needs force2D: true; skipped")
            } else if box.size[s.force2DDimension] <= 1 {
                logger.warning("shape2D: the ROI is one voxel wide along bounding-box axis \(s.force2DDimension); skipped")
            } else {
                let roi = cropped(image, shapeMask, box)
                if let f = PyradiomicsShape.features2D(roi, dimension: s.force2DDimension) {
                    rows += output("original", "shape2D", f, names, s)
                } else {
                    let reason = "shape2D needs an ROI one voxel thick along force2Ddimension \(s.force2DDimension)"
                    rows += (names.isEmpty ? PyradiomicsNames.shape2D : names).map {
                        FeatureRow(name: "original_shape2D_\($0)", tag: "", ibsiCode: "", family: .morphology, aggregation: nil, value: .undefined(reason))
                    }
                }
            }
        }
        group.wait()
        for result in specs.values {
            guard let result else { continue }
            for m in try result.get() {
                if let error = m.failure.values[0] { throw error }
                let values = m.values.values
                for (j, c) in classes.enumerated() {
                    rows += output(m.prefix, c, values[j] ?? [:], enabled[c] ?? [], m.settings)
                }
                if m.prefix == "original", let ng = m.greyLevels.values[0] { diagnostics["grey_levels"] = .integer(ng) }
            }
        }
        diagnostics["features_defined"] = .integer(rows.filter { $0.value.number != nil }.count)
        diagnostics["features_undefined"] = .integer(rows.filter { $0.value.number == nil }.count)
        return FeatureSet(rows: rows, diagnostics: diagnostics)
    }

    /// One response map's feature classes, filled in by concurrent jobs.
    final class MapOutput: Sendable {
        let prefix: String
        let settings: ExtractionSettings
        let greyLevels = ConcurrentResults<Int>(count: 1)
        let values: ConcurrentResults<[String: Double]>
        /// Why the map's ROI could not be prepared (e.g. non-finite values).
        let failure = ConcurrentResults<any Error>(count: 1)
        init(prefix: String, settings: ExtractionSettings, count: Int) {
            self.prefix = prefix
            self.settings = settings
            values = ConcurrentResults(count: count)
        }
    }

    /// The filters and the maps they yield. Filters run one at a time, in order, and the next
    /// starts only when no map is waiting and at most one is in flight. A map is prepared
    /// (cropped, discretised, its jobs queued) only while fewer than `limit` maps have jobs
    /// left, and its data is freed when its last job ends; a filter that yields many maps at
    /// once (eight wavelet bands) then holds only their small box-cut responses, not eight
    /// sets of levels.
    final class MapScheduler: @unchecked Sendable {
        typealias Prepare = @Sendable () throws -> [@Sendable () -> Void]
        typealias Filter = @Sendable () -> Void
        private let queue: DispatchQueue, group: DispatchGroup, limit: Int
        private let lock = NSLock()
        private var waiting: [(map: MapOutput, cost: Double, prepare: Prepare)] = []
        private var inFlight = 0
        private var filters: [Filter] = []
        private var filterRunning = false

        init(queue: DispatchQueue, group: DispatchGroup, limit: Int) {
            self.queue = queue; self.group = group; self.limit = limit
        }

        /// Queues a filter task; it calls `add` for each map it yields.
        func addFilter(_ filter: @escaping Filter) {
            lock.lock(); filters.append(filter); lock.unlock()
            pump()
        }

        /// Called from a task of `group`, so the group cannot empty before the map is queued.
        /// Of the maps waiting, the costliest starts first, so that a slow map (many grey
        /// levels: its GLCM's eigenvalues) does not run alone at the end.
        func add(_ map: MapOutput, cost: Double, _ prepare: @escaping Prepare) {
            lock.lock(); waiting.append((map, cost, prepare)); lock.unlock()
            pump()
        }

        private func pump() {
            lock.lock()
            var start: [(MapOutput, Prepare)] = []
            while inFlight < limit, let next = waiting.indices.max(by: { waiting[$0].cost < waiting[$1].cost }) {
                let w = waiting.remove(at: next)
                start.append((w.map, w.prepare))
                inFlight += 1
            }
            var filter: Filter?
            if !filterRunning, !filters.isEmpty, waiting.isEmpty, inFlight <= 1 {
                filter = filters.removeFirst()
                filterRunning = true
            }
            lock.unlock()
            if let filter {
                queue.async(group: group) { [self] in
                    filter()
                    lock.lock(); filterRunning = false; lock.unlock()
                    pump()
                }
            }
            for (map, prepare) in start {
                queue.async(group: group) { [self] in
                    let jobs: [@Sendable () -> Void]
                    do { jobs = try prepare() } catch {
                        map.failure.set(0, error)
                        finished()
                        return
                    }
                    guard !jobs.isEmpty else { finished(); return }
                    let left = Countdown(jobs.count)
                    for job in jobs {
                        queue.async(group: group) { [self] in
                            job()
                            if left.tick() { finished() }
                        }
                    }
                }
            }
        }

        private func finished() {
            lock.lock(); inFlight -= 1; lock.unlock()
            pump()
        }
    }

    /// About how many grey levels a map's box will bin into: what orders the maps waiting.
    static func expectedLevels(_ map: Volume, _ d: Discretisation) -> Double {
        switch d {
        case let .fixedBinNumber(n): return Double(n)
        case let .fixedBinSize(w): return map.voxels.range().map { ($0.max - $0.min) / w } ?? 0
        }
    }

    /// A thread-safe count down; `tick` is true for the call that reaches zero.
    final class Countdown: @unchecked Sendable {
        private var n: Int
        private let lock = NSLock()
        init(_ n: Int) { self.n = n }
        func tick() -> Bool { lock.lock(); defer { lock.unlock() }; n -= 1; return n == 0 }
    }

    /// What preprocessing leaves for the feature classes.
    struct Prepared {
        var image: Volume
        /// The ROI before re-segmentation, over `featureMask`'s box or the larger box it had.
        var originalMask: BoxMask
        var featureMask: BoxMask
        var box: Box
        var diagnostics: [String: MetaValue]
    }

    /// The ROI the texture and first-order classes see for the original image type: pyradiomics'
    /// preprocessing, re-segmentation and crop to the bounding box.
    public static func featureROI(image: Volume, mask: Volume, settings s: ExtractionSettings) throws -> CroppedROI {
        let p = try prepare(image: image, mask: mask, settings: s)
        return cropped(p.image, p.featureMask, p.box)
    }

    static func prepare(image: Volume, mask input: consuming Volume, settings s: ExtractionSettings) throws -> Prepared {
        var diagnostics: [String: MetaValue] = [:]
        var image = image
        var mask = try maskOnImageGrid(consume input, image: image, settings: s)
        diagnostics["original_image_size"] = .array([image.geometry.size.x, image.geometry.size.y, image.geometry.size.z].map { .integer($0) })
        diagnostics["original_image_spacing_mm"] = .array([image.geometry.spacing.x, image.geometry.spacing.y, image.geometry.spacing.z].map { .number($0) })
        if s.normalize { image = try normalized(image, scale: s.normalizeScale, outliers: s.removeOutliers) }
        if let spacing = s.resampledPixelSpacing, let interpolator = s.interpolator {
            (image, mask) = try resampled(image, mask, spacing: spacing, interpolator: interpolator, padDistance: s.padDistance)
            diagnostics["interpolated_image_size"] = .array([image.geometry.size.x, image.geometry.size.y, image.geometry.size.z].map { .integer($0) })
            diagnostics["interpolated_image_spacing_mm"] = .array([image.geometry.spacing.x, image.geometry.spacing.y, image.geometry.spacing.z].map { .number($0) })
        } else if s.preCrop {
            let box = try checkedBox(inside(mask), mask.geometry.size, s)
            image = try crop(image, box, pad: s.padDistance)
            mask = try crop(mask, box, pad: s.padDistance)
        }
        // The whole-grid mask ends here: only the flags over the ROI's box go on.
        var (original, box, count) = try roi(consume mask, s)
        diagnostics["roi_voxels"] = .integer(count)
        var featureMask = original
        if let range = s.resegmentRange {
            let kept = try resegmented(image, original, range: range, mode: s.resegmentMode)
            box = try checkedBox(kept.flags, kept.box.size, s)
            box = Box(lo: box.lo &+ kept.box.lo, hi: box.hi &+ kept.box.lo)
            featureMask = kept.cut(to: box)
            count = featureMask.flags.reduce(0) { $0 + ($1 ? 1 : 0) }
            diagnostics["resegmented_roi_voxels"] = .integer(count)
        }
        original = original.cut(to: box)
        diagnostics["bounding_box_xyz"] = .array([box.lo.x, box.lo.y, box.lo.z, box.size.x, box.size.y, box.size.z].map { .integer($0) })

        return Prepared(image: image, originalMask: original, featureMask: featureMask, box: box, diagnostics: diagnostics)
    }

    /// Per-image-type settings pyradiomics lets an `imageType:` entry override.
    static func applyOverrides(_ p: [String: MetaValue], to s: inout ExtractionSettings) {
        if let c = p["binCount"]?.doubleValue { s.features.discretisation = .fixedBinNumber(Int(c)) }
        else if let w = p["binWidth"]?.doubleValue { s.features.discretisation = .fixedBinSize(w) }
        if let v = p["voxelArrayShift"]?.doubleValue { s.voxelArrayShift = v }
    }

    /// Discretised levels of a cropped ROI under pyradiomics' binning.
    public static func levels(_ roi: CroppedROI, _ method: Discretisation) throws -> PyradiomicsLevels {
        let edges = try PyradiomicsBinning.edges(roi.roiValues, method: method)
        var lv = [Int32](repeating: 0, count: roi.values.count)
        for i in lv.indices where roi.mask[i] { lv[i] = Int32(PyradiomicsBinning.digitize(roi.values[i], edges)) }
        return PyradiomicsLevels(nx: roi.nx, ny: roi.ny, nz: roi.nz, levels: lv)
    }

    public static func textureOptions(_ s: ExtractionSettings, spacing: SIMD3<Double>) -> PyradiomicsTexture.Options {
        var o = PyradiomicsTexture.Options()
        o.distances = s.distances
        o.force2D = s.force2D
        o.force2DDimension = s.force2DDimension
        o.symmetricalGLCM = s.symmetricalGLCM
        o.weightingNorm = s.weightingNorm
        o.gldmAlpha = s.gldmAlpha
        o.spacingZYX = SIMD3(spacing.z, spacing.y, spacing.x)
        return o
    }

    /// One job per class (in `classes` order) on one cropped response map, and its number of
    /// grey levels.
    static func classJobs(_ roi: CroppedROI, classes: [String], settings s: ExtractionSettings) throws -> ([@Sendable () -> [String: Double]], Int) {
        let bad = roi.roiValues.filter { !$0.isFinite }.count
        if bad > 0 { throw KiraError.invalidData("the image has \(bad) non-finite (NaN or infinite) voxel(s) inside the region of interest") }
        let g = try levels(roi, s.features.discretisation)
        let o = textureOptions(s, spacing: roi.spacing)
        // The jobs keep the levels and the ROI's own values, not the box's intensities.
        let (inside, mask, voxelVolume) = (roi.roiValues, roi.mask, roi.spacing.x * roi.spacing.y * roi.spacing.z)
        let jobs: [@Sendable () -> [String: Double]] = classes.map { c in
            switch c {
            case "firstorder":
                return {
                    let lv = zip(g.levels, mask).compactMap { $1 ? $0 : nil }
                    return PyradiomicsFirstOrder.features(values: inside, levels: lv, shift: s.voxelArrayShift, voxelVolume: voxelVolume)
                }
            case "glcm": return { PyradiomicsTexture.glcmFeatures(PyradiomicsTexture.glcm(g, o), ng: g.ng) }
            case "glrlm": return { PyradiomicsTexture.runFeatures(PyradiomicsTexture.glrlm(g, o), names: .glrlm) }
            case "glszm": return { PyradiomicsTexture.runFeatures(PyradiomicsTexture.glszm(g, o), names: .glszm) }
            case "gldm": return { PyradiomicsTexture.runFeatures(PyradiomicsTexture.gldm(g, o), names: .gldm) }
            default: return { PyradiomicsTexture.ngtdmFeatures(PyradiomicsTexture.ngtdm(g, o)) }
            }
        }
        return (jobs, g.ng)
    }

    // MARK: Output rows

    static func output(_ prefix: String, _ featureClass: String, _ values: [String: Double], _ names: [String],
                       _ s: ExtractionSettings) -> [FeatureRow] {
        let wanted = names.isEmpty ? PyradiomicsNames.defaults(featureClass) : names
        return wanted.compactMap { name in
            guard let x = values[name] else { return nil }
            let id = PyradiomicsIdentity.ibsi(featureClass, name, s)
            let value: FeatureValue = x.isFinite ? .value(x) : .undefined("pyradiomics' formula gives \(x.isNaN ? "NaN" : "an infinite value") for this ROI")
            return FeatureRow(name: "\(prefix)_\(featureClass)_\(name)", tag: id.tag, ibsiCode: id.code,
                              family: PyradiomicsIdentity.family(featureClass, name), aggregation: id.aggregation, value: value)
        }
    }

    // MARK: Preprocessing steps

    static func inside(_ mask: Volume) -> [Bool] { mask.voxels.nonZeroFlags() }

    static func maskOnImageGrid(_ mask: Volume, image: Volume, settings s: ExtractionSettings) throws -> Volume {
        var tolerance = GeometryTolerance.standard
        if let t = s.geometryTolerance { tolerance.origin = t; tolerance.relativeSpacing = t }
        if mask.geometry.size == image.geometry.size && mask.geometry.matches(image.geometry, tolerance: tolerance) { return mask }
        guard s.correctMask else {
            throw KiraError.invalidArgument("the mask grid does not match the image grid (size \(mask.geometry.size) vs \(image.geometry.size)); set correctMask: true to resample the mask onto the image")
        }
        return try Resampler.resampleMask(mask, onto: image.geometry, method: .nearest)
    }

    /// sitk.Normalize (mean and sample standard deviation of the whole image), outliers clipped
    /// at ±n, then scaled.
    static func normalized(_ image: Volume, scale: Double, outliers: Double?) throws -> Volume {
        var v = image.voxels.toDoubles()
        let n = Double(v.count)
        let mean = v.reduce(0, +) / n
        let sd = (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
        guard sd > 0 else { throw KiraError.invalidData("normalize: the image is constant (standard deviation 0)") }
        for i in v.indices {
            var x = (v[i] - mean) / sd
            if let k = outliers { x = min(max(x, -k), k) }
            v[i] = x * scale
        }
        return try Volume(geometry: image.geometry, voxels: .float64(v), metadata: image.metadata)
    }

    static func boundingBox(_ m: [Bool], _ size: SIMD3<Int>) -> Box? {
        m.withUnsafeBytes { boundingBox(nonZero: $0, size) }
    }

    /// The box of the non-zero bytes of a grid (x fastest). A mask is mostly background, so
    /// each row is first tested eight bytes at a time and only rows with a voxel are walked.
    static func boundingBox(nonZero b: UnsafeRawBufferPointer, _ size: SIMD3<Int>) -> Box? {
        var lo = SIMD3(Int.max, Int.max, Int.max), hi = SIMD3(-1, -1, -1)
        let nx = size.x
        for z in 0..<size.z { for y in 0..<size.y {
            let row = (z * size.y + y) * nx
            var x = 0
            while x + 8 <= nx, b.loadUnaligned(fromByteOffset: row + x, as: UInt64.self) == 0 { x += 8 }
            while x < nx, b[row + x] == 0 { x += 1 }
            guard x < nx else { continue }
            var last = nx - 1
            while b[row + last] == 0 { last -= 1 }
            lo = pointwiseMin(lo, SIMD3(x, y, z))
            hi = pointwiseMax(hi, SIMD3(last, y, z))
        } }
        return hi.x < 0 ? nil : Box(lo: lo, hi: hi)
    }

    /// pyradiomics' checkMask: a non-empty ROI spanning enough dimensions and voxels.
    static func checkedBox(_ m: [Bool], _ size: SIMD3<Int>, _ s: ExtractionSettings) throws -> Box {
        let box = try nonEmptyBox(boundingBox(m, size))
        try check(box, count: s.minimumROISize == nil ? 0 : m.reduce(0) { $0 + ($1 ? 1 : 0) }, s)
        return box
    }

    static func nonEmptyBox(_ box: Box?) throws -> Box {
        guard let box else { throw KiraError.invalidArgument("the mask is empty: no voxel inside the region of interest") }
        return box
    }

    private static func check(_ box: Box, count: Int, _ s: ExtractionSettings) throws {
        let dims = (0..<3).filter { box.size[$0] > 1 }.count
        if dims == 0 { throw KiraError.invalidArgument("the mask holds a single voxel; features need at least two") }
        if dims < s.minimumROIDimensions {
            throw KiraError.invalidArgument("the ROI spans \(dims) dimension(s); minimumROIDimensions is \(s.minimumROIDimensions)")
        }
        if let minSize = s.minimumROISize, count <= minSize {
            throw KiraError.invalidArgument("the ROI has \(count) voxels; minimumROISize is \(minSize)")
        }
    }

    /// The ROI of a whole-grid mask: its flags over its bounding box, the box and its voxel
    /// count, checked as `checkedBox` does. A byte mask is read in place (no whole-grid flags).
    static func roi(_ mask: consuming Volume, _ s: ExtractionSettings) throws -> (BoxMask, Box, Int) {
        let grid = mask.geometry.size
        func cut(_ b: UnsafeRawBufferPointer) throws -> (BoxMask, Box, Int) {
            let box = try nonEmptyBox(boundingBox(nonZero: b, grid))
            let m = BoxMask(nonZero: b, grid: grid, box: box)
            let count = m.flags.reduce(0) { $0 + ($1 ? 1 : 0) }
            try check(box, count: count, s)
            return (m, box, count)
        }
        if case let .uint8(a) = mask.voxels { return try a.withUnsafeBytes(cut) }
        return try inside(mask).withUnsafeBytes(cut)
    }

    static func resegmented(_ image: Volume, _ m: BoxMask, range: [Double], mode: ResegmentMode) throws -> BoxMask {
        // Only the ROI's voxels are read, in the same order as over the whole grid.
        let v = image.voxels, grid = image.geometry.size, b = m.box
        var index: [Int] = []
        var k = 0
        for z in b.lo.z...b.hi.z { for y in b.lo.y...b.hi.y { for x in b.lo.x...b.hi.x {
            if m.flags[k] { index.append((z * grid.y + y) * grid.x + x) }
            k += 1
        } } }
        let roi = index.map { v[$0] }
        let sorted = range.sorted()
        let thresholds: [Double]
        switch mode {
        case .absolute: thresholds = sorted
        case .relative: let top = roi.max() ?? 0; thresholds = sorted.map { top * $0 }
        case .sigma:
            let n = Double(roi.count)
            let mean = roi.reduce(0, +) / n
            let sd = (roi.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
            thresholds = sorted.map { mean + sd * $0 }
        }
        var out = m
        var j = 0
        for i in out.flags.indices where out.flags[i] {
            let value = roi[j]
            j += 1
            if value < thresholds[0] { out.flags[i] = false }
            if thresholds.count == 2 && value > thresholds[1] { out.flags[i] = false }
        }
        let kept = out.flags.reduce(0) { $0 + ($1 ? 1 : 0) }
        if kept <= 1 {
            throw KiraError.invalidArgument("re-segmentation to \(thresholds) (\(mode.rawValue)) kept \(kept) voxel(s); features need at least two")
        }
        return out
    }

    /// The sub-volume from `box` widened by `pad` voxels, clipped to the image.
    static func crop(_ v: Volume, _ box: Box, pad: Int) throws -> Volume {
        let g = v.geometry
        let lo = pointwiseMax(box.lo &- pad, .zero), hi = pointwiseMin(box.hi &+ pad, g.size &- 1)
        let n = hi &- lo &+ 1
        let src = v.voxels
        var idx: [Int] = []
        idx.reserveCapacity(n.x * n.y * n.z)
        for z in lo.z...hi.z { for y in lo.y...hi.y { for x in lo.x...hi.x { idx.append((z * g.size.y + y) * g.size.x + x) } } }
        let voxels: VoxelBuffer
        switch src {
        case let .uint8(a): voxels = .uint8(idx.map { a[$0] })
        case let .int16(a): voxels = .int16(idx.map { a[$0] })
        case let .uint16(a): voxels = .uint16(idx.map { a[$0] })
        case let .int32(a): voxels = .int32(idx.map { a[$0] })
        case let .float32(a): voxels = .float32(idx.map { a[$0] })
        case let .float64(a): voxels = .float64(idx.map { a[$0] })
        }
        var geometry = g
        geometry.size = n
        geometry.origin = g.physicalPoint(index: lo)
        return try Volume(geometry: geometry, voxels: voxels, metadata: v.metadata)
    }

    /// `image` may be a map cut to a box: it then sits at `mapOrigin` of the grid that `m`
    /// and `box` index; `box` lies inside `m`'s box.
    static func cropped(_ image: Volume, _ m: BoxMask, _ box: Box, mapOrigin: SIMD3<Int> = .zero) -> CroppedROI {
        let g = image.geometry
        let n = box.size
        // The box's voxels only: the rest of the image is never converted.
        let values = image.voxels.doubles(box: box.lo &- mapOrigin, size: n, gridSize: g.size)
        let mask = m.cut(to: box).flags
        return CroppedROI(nx: n.x, ny: n.y, nz: n.z, spacing: g.spacing, values: values, mask: mask)
    }

    /// pyradiomics' resampleImage: a grid aligned to the mask's voxel corners, covering the ROI
    /// bounding box plus `padDistance` new voxels, clipped to the image; the image keeps its
    /// pixel type (integers truncated as ITK casts), the mask is resampled nearest-neighbour.
    static func resampled(_ image: Volume, _ mask: Volume, spacing requested: [Double], interpolator: Interpolator,
                          padDistance: Int) throws -> (Volume, Volume) {
        let mg = mask.geometry
        let maskSpacing = mg.spacing
        var spacing = SIMD3<Double>.zero
        for a in 0..<3 { spacing[a] = requested[a] == 0 ? maskSpacing[a] : requested[a] }
        let box = try nonEmptyBox(boundingBox(inside(mask), mg.size))
        for a in 0..<3 where box.size[a] == 1 { spacing[a] = maskSpacing[a] }
        let imageSpacing = image.geometry.spacing
        if (0..<3).allSatisfy({ abs(imageSpacing[$0] - spacing[$0]) <= 1e-8 + 1e-5 * abs(spacing[$0]) }) {
            return (try crop(image, box, pad: padDistance), try crop(mask, box, pad: padDistance))
        }
        let ratio = maskSpacing / spacing
        let pad = Double(padDistance)
        var lower = SIMD3<Double>.zero, upper = SIMD3<Double>.zero
        for a in 0..<3 {
            lower[a] = ((Double(box.lo[a]) - 0.5) * ratio[a] - pad).rounded(.down)
            upper[a] = ((Double(box.lo[a] + box.size[a]) - 0.5) * ratio[a] + pad).rounded(.up)
            let maxUpper = (Double(mg.size[a]) * ratio[a]).rounded(.up) - 1
            lower[a] = max(lower[a], 0)
            upper[a] = min(upper[a], maxUpper)
        }
        var size = SIMD3<Int>.zero
        for a in 0..<3 {
            guard let n = AllocationBudget.count(upper[a] - lower[a] + 1) else {
                throw KiraError.tooLarge(subject: "resampled grid (resampledPixelSpacing \(requested))",
                                         reason: "axis \(a): \(box.size[a]) ROI voxels of \(maskSpacing[a]) mm at \(spacing[a]) mm give \(upper[a] - lower[a] + 1) voxels")
            }
            size[a] = n
        }
        try AllocationBudget.check("resampled grid (resampledPixelSpacing \(requested))", size: size, elementBytes: MemoryLayout<Double>.size)
        let originIndex = 0.5 * (spacing - maskSpacing) / maskSpacing + lower / ratio
        let target = Geometry(size: size, spacing: spacing, origin: mg.physicalPoint(index: originIndex), direction: mg.direction)
        var out = try Resampler.resample(image, onto: target, interpolator: interpolator, outside: .constant(0))
        out = try castBack(out, to: image.voxels.scalarType)
        return (out, try nearestMask(mask, onto: target))
    }

    /// ITK's nearest-neighbour resampling of a mask: each output centre mapped to a continuous
    /// input index as ITK computes it (physical point, then the inverse index matrix), rounded
    /// half up; outside [−0.5, n − 0.5) it is 0. Grids aligned at half voxels (2.1 mm → 2 mm)
    /// put centres exactly on ties, so the arithmetic and the rounding must be ITK's.
    static func nearestMask(_ mask: Volume, onto target: Geometry) throws -> Volume {
        let src = mask.geometry
        guard src.spacing.x > 0, src.spacing.y > 0, src.spacing.z > 0 else {
            throw KiraError.invalidGeometry(path: "mask", reason: "its spacing is not positive")
        }
        // Spacing⁻¹ · directionᵀ, with reciprocals as ITK's inverse gives them for axis-aligned grids.
        let d = src.direction
        let inv = Matrix3(columns: d.c0 * (1 / src.spacing.x), d.c1 * (1 / src.spacing.y), d.c2 * (1 / src.spacing.z)).transposed
        let m = target.indexToPhysicalMatrix
        let values = mask.voxels.toDoubles()
        var out = [UInt8](repeating: 0, count: target.voxelCount)
        var i = 0
        for z in 0..<target.size.z { for y in 0..<target.size.y { for x in 0..<target.size.x {
            let p = target.origin + m * SIMD3(Double(x), Double(y), Double(z))
            let c = inv * (p - src.origin)
            var inside = true
            var idx = SIMD3<Int>.zero
            for a in 0..<3 {
                if !(c[a] >= -0.5 && c[a] < Double(src.size[a]) - 0.5) { inside = false; break }
                idx[a] = Int((c[a] + 0.5).rounded(.down))
            }
            if inside, values[(idx.z * src.size.y + idx.y) * src.size.x + idx.x] != 0 { out[i] = 1 }
            i += 1
        } } }
        return try Volume(geometry: target, voxels: .uint8(out))
    }

    /// ITK's cast of an interpolated value to an integer pixel type: clamp, then truncate.
    static func castBack(_ v: Volume, to type: ScalarType) throws -> Volume {
        let d = v.voxels.toDoubles()
        func conv<T: FixedWidthInteger>(_: T.Type) -> [T] {
            d.map { x in x <= Double(T.min) ? T.min : x >= Double(T.max) ? T.max : T(x.rounded(.towardZero)) }
        }
        let voxels: VoxelBuffer
        switch type {
        case .uint8: voxels = .uint8(conv(UInt8.self))
        case .int16: voxels = .int16(conv(Int16.self))
        case .uint16: voxels = .uint16(conv(UInt16.self))
        case .int32: voxels = .int32(conv(Int32.self))
        case .float32: return v
        case .float64: voxels = .float64(d)
        }
        return try Volume(geometry: v.geometry, voxels: voxels, metadata: v.metadata)
    }
}
