import CKiraKernels
import KiraCore
import KiraPreprocess

extension FilterGrid {
    /// Two line passes of a separable filter run plane by plane: along `first`, then along
    /// `second`, both inside each plane of the remaining axis. Result k is `secondBodies[k]`
    /// applied to `firstBodies[k]`'s output, stored in single precision on the grid cut to
    /// `keep` along both axes. The values equal two `filterLines` calls with `float32` (the
    /// bodies round to single precision themselves), but the first pass's output, which is
    /// cut along one axis only and so nearly as large as the image, never exists whole: each
    /// thread holds one plane of it. Supported orders are the ones a separable filter with
    /// its axes ascending after the first meets: (x, then y) and (y or z, then x).
    /// `scratchPerLane` must cover both passes' lines.
    static func filterPlanes(_ voxels: VoxelBuffer, size: SIMD3<Int>, first a: Int, second b: Int, keep: [Range<Int>],
                             scratchPerLane: Int, firstBodies: [LaneBody], secondBodies: [LaneBody]) -> [VoxelBuffer] {
        precondition((a == 0 && b == 1) || (a != 0 && b == 0), "unsupported plane pass order")
        precondition(firstBodies.count == secondBodies.count)
        let g = 3 - a - b
        let na = size[a], nb = size[b], ka = keep[a].count, kb = keep[b].count
        var outSize = size
        outSize[a] = ka
        outSize[b] = kb
        let outStrides = SIMD3(1, outSize.x, outSize.x * outSize.y)
        let inStrides = SIMD3(1, size.x, size.x * size.y)
        let outCount = outSize.x * outSize.y * outSize.z
        var outputs = firstBodies.map { _ in [Float](repeating: 0, count: outCount) }
        guard outCount > 0 else { return outputs.map(VoxelBuffer.float32) }
        let block = 32
        let scratchCount = max(scratchPerLane, 1) * block
        LineInput.with(voxels, size: size) { input in
            lendingStorage(of: &outputs) { pointers in
                parallelChunks(size[g], chunks: 128) { planes in
                    let lanesIn = UnsafeMutablePointer<Double>.allocate(capacity: na * block)
                    let rows = a == 0 && input.doubles == nil && input.rowsToLanes == nil
                        ? UnsafeMutablePointer<Double>.allocate(capacity: na * block) : nil
                    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: scratchCount)
                    // The first pass's output for this plane, one per body: ka rows along b.
                    let cut = UnsafeMutablePointer<Double>.allocate(capacity: ka * nb * firstBodies.count)
                    let lanesCut = UnsafeMutablePointer<Double>.allocate(capacity: nb * block)
                    let result = UnsafeMutablePointer<Double>.allocate(capacity: kb * block)
                    defer {
                        lanesIn.deallocate(); rows?.deallocate(); scratch.deallocate()
                        cut.deallocate(); lanesCut.deallocate(); result.deallocate()
                    }
                    for plane in planes {
                        let base = plane * inStrides[g]
                        var lo = 0
                        while lo < nb {
                            let lanes = min(block, nb - lo)
                            // Lines along a, lanes along b, as lanesIn[i * lanes + l].
                            let p: UnsafeMutablePointer<Double>, pStride: Int
                            if a == 0 {
                                let offset = base + lo * inStrides[b]
                                if let d = input.doubles {
                                    kira_rows_to_lanes(d.p + offset, na, 0, na, lanes, lanesIn)
                                } else if let direct = input.rowsToLanes {
                                    direct(offset, na, lanes, lanesIn)
                                } else if let rows {
                                    input.load(offset, lanes * na, rows)
                                    kira_rows_to_lanes(rows, na, 0, na, lanes, lanesIn)
                                }
                                (p, pStride) = (lanesIn, lanes)
                            } else if let d = input.doubles {
                                (p, pStride) = (d.p + base + lo, inStrides[a])
                            } else {
                                for i in 0..<na { input.load(base + i * inStrides[a] + lo, lanes, lanesIn + i * lanes) }
                                (p, pStride) = (lanesIn, lanes)
                            }
                            for (k, body) in firstBodies.enumerated() {
                                body(p, lanes, pStride, na, cut + k * ka * nb + lo, nb, scratch)
                            }
                            lo += lanes
                        }
                        // Lines along b (the rows of `cut`), lanes along a.
                        for (k, body) in secondBodies.enumerated() {
                            let dst = pointers[k].p + plane * outStrides[g]
                            var la = 0
                            while la < ka {
                                let lanes = min(block, ka - la)
                                kira_rows_to_lanes(cut + k * ka * nb + la * nb, nb, 0, nb, lanes, lanesCut)
                                body(lanesCut, lanes, lanes, nb, result, lanes, scratch)
                                for j in 0..<kb {
                                    let src = result + j * lanes, row = dst + j * outStrides[b] + la * outStrides[a]
                                    for l in 0..<lanes { row[l * outStrides[a]] = Float(src[l]) }
                                }
                                la += lanes
                            }
                        }
                    }
                }
            }
        }
        return outputs.map(VoxelBuffer.float32)
    }
}
