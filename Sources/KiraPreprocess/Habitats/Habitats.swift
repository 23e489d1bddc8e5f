import Foundation
import KiraCore

/// One patient's input to habitat analysis: co-registered images (one per sequence, the
/// same grid) and the tumour mask.
public struct HabitatCase: Sendable {
    public var id: String
    public var images: [Volume]
    public var mask: Volume

    public init(id: String, images: [Volume], mask: Volume) {
        self.id = id
        self.images = images
        self.mask = mask
    }
}

/// The fitted habitat model: what is saved to a file and applied to new patients.
public struct HabitatModel: Codable, Sendable, Equatable {
    public var kiraVersion: String
    public var channels: Int
    /// Centroids in per-patient z-score units, one row per habitat (habitat label = row + 1).
    public var centroids: [[Double]]
    public var seed: UInt64
    /// Calinski–Harabasz index for each K tried; the largest chose `centroids.count`.
    public var calinskiHarabasz: [String: Double]
    public var voxelsPerCase: [String: Int]
    public var normalisation = "z-score per patient and channel inside the mask (population SD)"
}

/// Cohort-level K-means habitats (intra-tumour partitioning as in the seed studies).
public enum Habitats {
    /// Voxel feature vectors inside the mask, each channel z-scored over this patient's mask.
    public static func features(_ c: HabitatCase) throws -> (points: PointSet, indices: [Int]) {
        guard !c.images.isEmpty else { throw KiraError.invalidArgument("case \(c.id): no images") }
        let g = c.mask.geometry
        for (i, img) in c.images.enumerated() {
            let diffs = img.geometry.differences(from: g)
            guard diffs.isEmpty, img.timepoints == 1, img.components == 1 else {
                throw KiraError.invalidArgument("case \(c.id): image \(i + 1) is not a 3D scalar image on the mask's grid: "
                    + diffs.map(\.description).joined(separator: "; "))
            }
        }
        var indices: [Int] = []
        for i in 0..<g.voxelCount where c.mask.voxels[i] != 0 { indices.append(i) }
        guard indices.count >= 2 else {
            throw KiraError.invalidArgument("case \(c.id): the mask has \(indices.count) voxel(s); habitats need at least 2")
        }
        let d = c.images.count, n = indices.count
        var values = [Double](repeating: 0, count: n * d)
        for (ch, img) in c.images.enumerated() {
            var sum = 0.0
            for (r, i) in indices.enumerated() {
                let v = img.voxels[i]
                // A NaN would make the spread NaN and pass for a constant image below.
                guard v.isFinite else {
                    let x = i % g.size.x, y = (i / g.size.x) % g.size.y, z = i / (g.size.x * g.size.y)
                    throw KiraError.invalidData("case \(c.id): image \(ch + 1) has the non-finite value \(v) at voxel (\(x), \(y), \(z)) inside the mask")
                }
                values[r * d + ch] = v
                sum += v
            }
            let mean = sum / Double(n)
            var ss = 0.0
            for r in 0..<n { let t = values[r * d + ch] - mean; ss += t * t }
            let sd = (ss / Double(n)).squareRoot()
            guard sd > 0 else {
                throw KiraError.invalidArgument("case \(c.id): image \(ch + 1) is constant inside the mask; it cannot be z-scored")
            }
            for r in 0..<n { values[r * d + ch] = (values[r * d + ch] - mean) / sd }
        }
        return (PointSet(values: values, dimension: d), indices)
    }

    /// Fits K-means on the pooled voxels of all cases for each K in `kRange` and keeps the K
    /// with the largest Calinski–Harabasz index.
    public static func fit(_ cases: [HabitatCase], kRange: ClosedRange<Int>, seed: UInt64, restarts: Int = 10) throws -> HabitatModel {
        guard kRange.lowerBound >= 2 else { throw KiraError.invalidArgument("habitat K must be at least 2 (the Calinski–Harabasz index needs 2 clusters)") }
        // Habitat labels are stored as bytes (1…K): a larger K would trap when the map is written.
        guard kRange.upperBound <= Int(UInt8.max) else {
            throw KiraError.invalidArgument("habitat K must be at most \(UInt8.max) (labels are stored as bytes), got \(kRange.upperBound)")
        }
        var pooled: [Double] = []
        var dimension = 0
        var perCase: [String: Int] = [:]
        for c in cases {
            let f = try features(c).points
            if dimension == 0 { dimension = f.dimension }
            guard f.dimension == dimension else {
                throw KiraError.invalidArgument("case \(c.id) has \(f.dimension) images; the others have \(dimension)")
            }
            pooled += f.values
            perCase[c.id] = f.count
        }
        let points = PointSet(values: pooled, dimension: dimension)
        var scores: [String: Double] = [:]
        var best: (k: Int, score: Double, result: KMeansResult)?
        for k in kRange {
            guard k < points.count else { break }
            let r = try KMeans.fit(points, k: k, seed: seed, restarts: restarts)
            guard let ch = KMeans.calinskiHarabasz(points, labels: r.labels) else { continue }
            scores["\(k)"] = ch
            if best == nil || ch > best!.score { best = (k, ch, r) }
        }
        guard let best else { throw KiraError.invalidArgument("no K in \(kRange) could be fitted to \(points.count) voxels") }
        return HabitatModel(kiraVersion: KiraVersion.current, channels: dimension, centroids: best.result.centroids,
                            seed: seed, calinskiHarabasz: scores, voxelsPerCase: perCase)
    }

    /// The habitat mask of one case: label h (1…K) for the nearest centroid, 0 outside the mask.
    public static func apply(_ model: HabitatModel, to c: HabitatCase) throws -> Volume {
        let (points, indices) = try features(c)
        guard points.dimension == model.channels else {
            throw KiraError.invalidArgument("case \(c.id) has \(points.dimension) images; the habitat model was fitted on \(model.channels)")
        }
        guard (1...Int(UInt8.max)).contains(model.centroids.count), model.centroids.allSatisfy({ $0.count == model.channels }) else {
            throw KiraError.invalidArgument("case \(c.id): the habitat model has \(model.centroids.count) centroids (1…\(UInt8.max) allowed, "
                                            + "\(model.channels) values each); it cannot label a map of bytes")
        }
        var labels = [Int](repeating: 0, count: points.count)
        KMeans.assign(points, centres: model.centroids.flatMap { $0 }, k: model.centroids.count, labels: &labels)
        var out = [UInt8](repeating: 0, count: c.mask.geometry.voxelCount)
        for (r, i) in indices.enumerated() { out[i] = UInt8(labels[r] + 1) }
        return try Volume(geometry: c.mask.geometry, voxels: .uint8(out), metadata: ["Habitats": .integer(model.centroids.count)])
    }
}
