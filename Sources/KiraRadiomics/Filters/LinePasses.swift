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
        guard v.timepoints == 1, v.components == 1 else {
            throw KiraError.invalidArgument("image filters need a scalar 3D image; this one has \(v.timepoints) time points and \(v.components) components")
        }
        size = v.geometry.size
        values = v.voxels.toDoubles()
    }

    var count: Int { values.count }

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
    /// Filters every line along `axis` and keeps the outputs at `keep` along it: the result
    /// is this grid with that axis cut to `keep`. `body` reads value i of lane l at
    /// `input[i * stride + l]` (i < n) and writes output k ∈ `keep` at
    /// `out[(k − keep.lowerBound) * outStride + l]`; it gets `scratchPerLane × lanes` values of
    /// scratch. Lanes are contiguous (lines along x are transposed in blocks of 16), and
    /// blocks run in parallel. A later pass along another axis then runs on the smaller grid,
    /// which is how a separable filter computes one box of its output and nothing else.
    func filterLines(_ axis: Int, keep: Range<Int>, scratchPerLane: Int,
                     _ body: @Sendable (_ input: UnsafeMutablePointer<Double>, _ lanes: Int, _ stride: Int, _ n: Int,
                                        _ out: UnsafeMutablePointer<Double>, _ outStride: Int,
                                        _ scratch: UnsafeMutablePointer<Double>) -> Void) -> FilterGrid {
        let s = size
        var outSize = s
        outSize[axis] = keep.count
        // `body` writes every kept output, so the result need not be zeroed first.
        var result = FilterGrid(size: outSize, values: [Double](unsafeUninitializedCapacity: outSize.x * outSize.y * outSize.z) { _, n in
            n = outSize.x * outSize.y * outSize.z
        })
        guard count > 0, keep.count > 0 else { return result }
        let kc = keep.count
        values.withUnsafeBufferPointer { inBuf in
            result.values.withUnsafeMutableBufferPointer { outBuf in
                // `body` only reads its input (the pointer type is shared with in-place callers).
                let src = SharedBuffer(p: UnsafeMutablePointer(mutating: inBuf.baseAddress!)), dst = SharedBuffer(p: outBuf.baseAddress!)
                if axis == 0 {
                    let n = s.x, lines = s.y * s.z, block = 16
                    let jobs = (lines + block - 1) / block
                    parallelChunks(jobs, chunks: 128) { range in
                        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: max(scratchPerLane, 1) * block)
                        let t = UnsafeMutablePointer<Double>.allocate(capacity: n * block)
                        let u = UnsafeMutablePointer<Double>.allocate(capacity: kc * block)
                        defer { scratch.deallocate(); t.deallocate(); u.deallocate() }
                        for job in range {
                            let first = job * block, lanes = min(block, lines - first)
                            for l in 0..<lanes {
                                let row = src.p + (first + l) * n
                                for i in 0..<n { t[i * lanes + l] = row[i] }
                            }
                            body(t, lanes, lanes, n, u, lanes, scratch)
                            for l in 0..<lanes {
                                let row = dst.p + (first + l) * kc
                                for i in 0..<kc { row[i] = u[i * lanes + l] }
                            }
                        }
                    }
                    return
                }
                // Along y: per slice, lanes are the row's x; along z: lanes are the whole plane.
                let n = s[axis]
                let stride = axis == 1 ? s.x : s.x * s.y
                let groups = axis == 1 ? s.z : 1
                let inGroup = axis == 1 ? s.x * s.y : 0, outGroup = axis == 1 ? s.x * kc : 0
                let block = 256, perGroup = (stride + block - 1) / block
                parallelChunks(groups * perGroup, chunks: 128) { range in
                    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: max(scratchPerLane, 1) * block)
                    defer { scratch.deallocate() }
                    for job in range {
                        let g = job / perGroup, lo = (job % perGroup) * block
                        let lanes = min(block, stride - lo)
                        body(src.p + g * inGroup + lo, lanes, stride, n, dst.p + g * outGroup + lo, stride, scratch)
                    }
                }
            }
        }
        return result
    }
}
