/// Connected components of a binary mask under 26-connectivity: voxels touching by a face,
/// an edge or a corner belong to the same component (ITK's FullyConnected, scipy's
/// `ndimage.label` with a 3×3×3 structure).
public enum ConnectedComponents {
    /// Component sizes in voxels, largest first.
    public static func sizes(of mask: [UInt8], size: SIMD3<Int>) -> [Int] {
        var remaining = mask.map { $0 != 0 ? UInt8(1) : 0 }
        var out: [Int] = []
        flood(&remaining, size: size) { _ in } newComponent: { out.append($0) }
        return out.sorted(by: >)
    }

    /// A label per voxel: 0 outside, 1…n inside, numbered in scan order of each component's
    /// first voxel (x fastest); and each label's size (index 0 = label 1).
    public static func label(_ mask: [UInt8], size: SIMD3<Int>) -> (labels: [Int32], sizes: [Int]) {
        var remaining = mask.map { $0 != 0 ? UInt8(1) : 0 }
        var labels = [Int32](repeating: 0, count: mask.count)
        var sizes: [Int] = []
        flood(&remaining, size: size) { labels[$0] = Int32(sizes.count + 1) } newComponent: { sizes.append($0) }
        return (labels, sizes)
    }

    /// Depth-first flood fill with an explicit stack; `visit` sees each voxel of the current
    /// component, `newComponent` its size once it is complete.
    private static func flood(_ remaining: inout [UInt8], size: SIMD3<Int>, visit: (Int) -> Void, newComponent: (Int) -> Void) {
        let sx = size.x, sy = size.y, sz = size.z, sxy = sx * sy
        var stack: [Int] = []
        remaining.withUnsafeMutableBufferPointer { m in
            for seed in 0..<m.count where m[seed] != 0 {
                m[seed] = 0
                stack.append(seed)
                var count = 0
                while let i = stack.popLast() {
                    visit(i)
                    count += 1
                    let z = i / sxy, y = (i % sxy) / sx, x = i % sx
                    for dz in -1...1 {
                        let nz = z + dz
                        if nz < 0 || nz >= sz { continue }
                        for dy in -1...1 {
                            let ny = y + dy
                            if ny < 0 || ny >= sy { continue }
                            for dx in -1...1 {
                                let nx = x + dx
                                if nx < 0 || nx >= sx { continue }
                                let j = nz * sxy + ny * sx + nx
                                if m[j] != 0 { m[j] = 0; stack.append(j) }
                            }
                        }
                    }
                }
                newComponent(count)
            }
        }
    }
}
