import CKiraKernels
import KiraCore
import KiraPreprocess

/// A raw pointer that the parallel passes share; each chunk writes disjoint lines.
struct SharedBuffer<T>: @unchecked Sendable {
    let p: UnsafeMutablePointer<T>
}

/// A 3D grid of doubles (x fastest), the working format of every filter.
struct FilterGrid {
    var size: SIMD3<Int>
    var values: [Double]

    init(size: SIMD3<Int>, values: [Double]) {
        self.size = size
        self.values = values
    }

    init(_ v: Volume) throws {
        try Self.requireScalar3D(v)
        size = v.geometry.size
        values = v.voxels.toDoubles()
    }

    var count: Int { values.count }

    /// Filters run on one 3D scalar image: no time points, no colour components.
    static func requireScalar3D(_ v: Volume) throws {
        guard v.timepoints == 1, v.components == 1 else {
            throw KiraError.invalidArgument("image filters need a scalar 3D image; this one has \(v.timepoints) time points and \(v.components) components")
        }
    }

    /// Runs `body` on every line along `axis`, in parallel. `body` gets the line's values in
    /// `line` and writes its result back into `line`; `scratch` is per-thread space of
    /// `scratchCount` values.
    mutating func alongAxis(_ axis: Int, scratchCount: Int = 0,
                            _ body: @Sendable (_ line: UnsafeMutableBufferPointer<Double>, _ scratch: UnsafeMutableBufferPointer<Double>) -> Void) {
        let s = size
        let n = s[axis]
        guard n > 0, count > 0 else { return }
        let lines = count / n
        let stride = axis == 0 ? 1 : axis == 1 ? s.x : s.x * s.y
        let width = max(scratchCount, 1)
        values.withUnsafeMutableBufferPointer { buf in
            let shared = SharedBuffer(p: buf.baseAddress!)
            parallelChunks(lines, chunks: 128) { range in
                let line = UnsafeMutableBufferPointer<Double>.allocate(capacity: n)
                let scratch = UnsafeMutableBufferPointer<Double>.allocate(capacity: width)
                defer { line.deallocate(); scratch.deallocate() }
                for l in range {
                    let base: Int
                    switch axis {
                    case 0: base = l * n
                    case 1: base = (l / s.x) * s.x * s.y + l % s.x
                    default: base = l
                    }
                    for i in 0..<n { line[i] = shared.p[base + i * stride] }
                    body(line, scratch)
                    for i in 0..<n { shared.p[base + i * stride] = line[i] }
                }
            }
        }
    }

    /// Applies `f` to every value, in parallel.
    mutating func map(_ f: @Sendable (Double) -> Double) {
        let n = count
        values.withUnsafeMutableBufferPointer { buf in
            let shared = SharedBuffer(p: buf.baseAddress!)
            parallelChunks(n) { range in
                for i in range { shared.p[i] = f(shared.p[i]) }
            }
        }
    }

    func volume(like v: Volume, float32: Bool = false) throws -> Volume {
        let voxels: VoxelBuffer = float32 ? .float32(values.map { Float($0) }) : .float64(values)
        return try Volume(geometry: v.geometry, voxels: voxels, metadata: v.metadata)
    }
}

extension FilterGrid {
    /// What a line filter runs on one block of lanes: value i of lane l at
    /// `input[i * stride + l]` (i < n), output k ∈ `keep` written at
    /// `out[(k − keep.lowerBound) * outStride + l]`, with `scratchPerLane × lanes` values of scratch.
    typealias LaneBody = @Sendable (_ input: UnsafeMutablePointer<Double>, _ lanes: Int, _ stride: Int, _ n: Int,
                                    _ out: UnsafeMutablePointer<Double>, _ outStride: Int,
                                    _ scratch: UnsafeMutablePointer<Double>) -> Void

    /// Filters every line along `axis` and keeps the outputs at `keep` along it: the result
    /// is this grid with that axis cut to `keep`. Lanes are contiguous (lines along x are
    /// transposed in blocks of 32), and blocks run in parallel. A later pass along another
    /// axis then runs on the smaller grid, which is how a separable filter computes one box
    /// of its output and nothing else.
    func filterLines(_ axis: Int, keep: Range<Int>, scratchPerLane: Int, _ body: @escaping LaneBody) -> FilterGrid {
        var outSize = size
        outSize[axis] = keep.count
        let out = Self.filterLines(.float64(values), size: size, axis, keep: keep, scratchPerLane: scratchPerLane, bodies: [body], float32: false)
        guard case let .float64(v) = out[0] else { preconditionFailure("double outputs were asked for") }
        return FilterGrid(size: outSize, values: v)
    }

    /// Several filters along the same axis, one result each, on stored voxels of any type,
    /// converted to doubles block by block as the pass reads them (a first pass needs no
    /// double copy of the whole image). Every block of lanes is read (and for x transposed)
    /// once and filtered by each body while it is still in cache. With `float32` the results
    /// are stored in single precision, for bodies whose outputs are already rounded to it:
    /// half the memory for the same values.
    static func filterLines(_ voxels: VoxelBuffer, size: SIMD3<Int>, _ axis: Int, keep: Range<Int>, scratchPerLane: Int,
                            bodies: [LaneBody], float32: Bool) -> [VoxelBuffer] {
        var outSize = size
        outSize[axis] = keep.count
        let outCount = outSize.x * outSize.y * outSize.z
        return LineInput.with(voxels, size: size) { input in
            func run<T>(_: T.Type, _ sink: ([SharedBuffer<T>]) -> OutputSink) -> [[T]] {
                // The bodies write every kept output, so the results need not be zeroed first.
                var outputs = bodies.map { _ in [T](unsafeUninitializedCapacity: outCount) { _, n in n = outCount } }
                guard outCount > 0 else { return outputs }
                lendingStorage(of: &outputs) { pointers in
                    Self.run(input, axis, keep: keep, scratchPerLane: scratchPerLane, bodies: bodies, outputs: sink(pointers))
                }
                return outputs
            }
            return float32 ? run(Float.self, OutputSink.floats).map(VoxelBuffer.float32) : run(Double.self, OutputSink.doubles).map(VoxelBuffer.float64)
        }
    }

    /// Where the bodies' outputs go.
    private enum OutputSink {
        case doubles([SharedBuffer<Double>])
        case floats([SharedBuffer<Float>])
    }

    private static func run(_ input: LineInput, _ axis: Int, keep: Range<Int>, scratchPerLane: Int, bodies: [LaneBody], outputs: OutputSink) {
        let s = input.size
        let kc = keep.count
        if axis == 0 {
            let n = s.x, lines = s.y * s.z, block = 32
            let jobs = (lines + block - 1) / block
            parallelChunks(jobs, chunks: 128) { range in
                let scratch = UnsafeMutablePointer<Double>.allocate(capacity: max(scratchPerLane, 1) * block)
                let t = UnsafeMutablePointer<Double>.allocate(capacity: n * block)
                let u = UnsafeMutablePointer<Double>.allocate(capacity: kc * block)
                let rows = input.doubles == nil && input.rowsToLanes == nil ? UnsafeMutablePointer<Double>.allocate(capacity: n * block) : nil
                defer { scratch.deallocate(); t.deallocate(); u.deallocate(); rows?.deallocate() }
                for job in range {
                    let first = job * block, lanes = min(block, lines - first)
                    if let d = input.doubles {
                        kira_rows_to_lanes(d.p + first * n, n, 0, n, lanes, t)
                    } else if let direct = input.rowsToLanes {
                        direct(first * n, n, lanes, t)
                    } else if let rows {
                        input.load(first * n, lanes * n, rows)
                        kira_rows_to_lanes(rows, n, 0, n, lanes, t)
                    }
                    for (b, body) in bodies.enumerated() {
                        body(t, lanes, lanes, n, u, lanes, scratch)
                        switch outputs {
                        case let .doubles(dst): kira_lanes_to_rows(u, kc, lanes, dst[b].p + first * kc, kc)
                        case let .floats(dst): kira_lanes_to_rows_f32(u, kc, lanes, dst[b].p + first * kc, kc)
                        }
                    }
                }
            }
            return
        }
        // Along y: per slice, lanes are the row's x; along z: lanes are the whole plane.
        // A block's input and scratch stay within about 512 KiB so that the bodies after the
        // first, and each body's backward sweep, read them from cache.
        let n = s[axis]
        let stride = axis == 1 ? s.x : s.x * s.y
        let groups = axis == 1 ? s.z : 1
        let inGroup = axis == 1 ? s.x * s.y : 0, outGroup = axis == 1 ? s.x * kc : 0
        let perLaneBytes = (n + max(scratchPerLane, 1)) * MemoryLayout<Double>.stride
        let block = max(16, min(256, (512 << 10) / perLaneBytes / 16 * 16))
        let perGroup = (stride + block - 1) / block
        parallelChunks(groups * perGroup, chunks: 128) { range in
            let scratch = UnsafeMutablePointer<Double>.allocate(capacity: max(scratchPerLane, 1) * block)
            let gathered = input.doubles == nil ? UnsafeMutablePointer<Double>.allocate(capacity: n * block) : nil
            let u: UnsafeMutablePointer<Double>? = if case .floats = outputs { .allocate(capacity: kc * block) } else { nil }
            defer { scratch.deallocate(); gathered?.deallocate(); u?.deallocate() }
            for job in range {
                let g = job / perGroup, lo = (job % perGroup) * block
                let lanes = min(block, stride - lo)
                let base = g * inGroup + lo
                let p: UnsafeMutablePointer<Double>, pStride: Int
                if let d = input.doubles {
                    (p, pStride) = (d.p + base, stride)
                } else {
                    for i in 0..<n { input.load(base + i * stride, lanes, gathered! + i * lanes) }
                    (p, pStride) = (gathered!, lanes)
                }
                let at = g * outGroup + lo
                for (b, body) in bodies.enumerated() {
                    switch outputs {
                    case let .doubles(dst):
                        body(p, lanes, pStride, n, dst[b].p + at, stride, scratch)
                    case let .floats(dst):
                        body(p, lanes, pStride, n, u!, lanes, scratch)
                        for k in 0..<kc { kira_f64_to_f32(u! + k * lanes, dst[b].p + at + k * stride, lanes) }
                    }
                }
            }
        }
    }
}

/// Runs `body` with a pointer to each array's storage, valid for the whole call (each array
/// lends it in turn, nested), so parallel workers can write disjoint parts of every array.
func lendingStorage<T>(of arrays: inout [[T]], _ body: ([SharedBuffer<T>]) -> Void) {
    func lend(_ k: Int, _ pointers: [SharedBuffer<T>]) {
        guard k < arrays.count else { return body(pointers) }
        var a: [T] = []
        swap(&a, &arrays[k])
        a.withUnsafeMutableBufferPointer { lend(k + 1, pointers + [SharedBuffer(p: $0.baseAddress!)]) }
        swap(&a, &arrays[k])
    }
    lend(0, [])
}

/// What a line pass reads: a grid of doubles (read in place), or an image's stored voxels,
/// which `load` converts run by run.
struct LineInput: Sendable {
    var size: SIMD3<Int>
    /// Direct access when the values already are doubles.
    var doubles: SharedBuffer<Double>?
    /// Copies `count` consecutive values from linear index `offset` into `dst` as doubles.
    var load: @Sendable (_ offset: Int, _ count: Int, _ dst: UnsafeMutablePointer<Double>) -> Void
    /// Where the storage type has one: `lanes` rows of `n` values from linear index `offset`,
    /// converted and transposed in one step (t[i * lanes + l]).
    var rowsToLanes: (@Sendable (_ offset: Int, _ n: Int, _ lanes: Int, _ t: UnsafeMutablePointer<Double>) -> Void)?

    init(size: SIMD3<Int>, doubles: UnsafePointer<Double>) {
        self.size = size
        let shared = SharedBuffer(p: UnsafeMutablePointer(mutating: doubles))
        self.doubles = shared
        load = { offset, count, dst in dst.update(from: shared.p + offset, count: count) }
        rowsToLanes = nil
    }

    private init(size: SIMD3<Int>,
                 rowsToLanes: (@Sendable (_ offset: Int, _ n: Int, _ lanes: Int, _ t: UnsafeMutablePointer<Double>) -> Void)? = nil,
                 load: @escaping @Sendable (_ offset: Int, _ count: Int, _ dst: UnsafeMutablePointer<Double>) -> Void) {
        self.size = size
        doubles = nil
        self.load = load
        self.rowsToLanes = rowsToLanes
    }

    /// The stored voxels, valid inside `body`. int16 and float voxels go through the C
    /// kernels; the other integer types through a loop specialised per type (not a
    /// conversion closure, which would be called per voxel).
    static func with<R>(_ voxels: VoxelBuffer, size: SIMD3<Int>, _ body: (LineInput) -> R) -> R {
        func shared<T>(_ b: UnsafeBufferPointer<T>) -> SharedBuffer<T> { SharedBuffer(p: UnsafeMutablePointer(mutating: b.baseAddress!)) }
        func integers<T: BinaryInteger & SendableMetatype>(_ b: UnsafeBufferPointer<T>) -> R {
            let q = shared(b)
            return body(LineInput(size: size) { o, c, d in let s = q.p + o; for i in 0..<c { d[i] = Double(s[i]) } })
        }
        switch voxels {
        case let .uint8(a): return a.withUnsafeBufferPointer(integers)
        case let .uint16(a): return a.withUnsafeBufferPointer(integers)
        case let .int32(a): return a.withUnsafeBufferPointer(integers)
        case let .int16(a):
            return a.withUnsafeBufferPointer { b in
                let q = shared(b)
                return body(LineInput(size: size, rowsToLanes: { o, n, lanes, t in kira_rows_to_lanes_i16(q.p + o, n, n, lanes, t) }) { o, c, d in
                    kira_i16_to_f64(q.p + o, d, c)
                })
            }
        case let .float32(a):
            return a.withUnsafeBufferPointer { b in
                let q = shared(b)
                return body(LineInput(size: size, rowsToLanes: { o, n, lanes, t in kira_rows_to_lanes_f32(q.p + o, n, n, lanes, t) }) { o, c, d in
                    kira_f32_to_f64(q.p + o, d, c)
                })
            }
        case let .float64(a):
            return a.withUnsafeBufferPointer { body(LineInput(size: size, doubles: $0.baseAddress!)) }
        }
    }
}
