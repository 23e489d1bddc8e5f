import Foundation
import KiraCore
import KiraIO
import KiraRadiomics
import KiraTestSupport

/// Shared inputs and comparisons for the filter tests.
enum FilterFixtures {
    /// A small anisotropic image with odd and even axes, negative and positive values, smooth
    /// structure plus noise (deterministic).
    static let synthetic: Volume = {
        let size = SIMD3(23, 18, 11)
        var rng = SplitMix64(seed: 42)
        var values: [Double] = []
        for z in 0..<size.z { for y in 0..<size.y { for x in 0..<size.x {
            let smooth = 120 * sin(0.31 * Double(x)) * cos(0.23 * Double(y)) + 9 * Double(z) - 30
            values.append(smooth + 25 * (rng.unit() - 0.5))
        } } }
        return try! Volume(geometry: Geometry(size: size, spacing: [0.8, 1.1, 2.5], origin: [3, -2, 7]), voxels: .float64(values))
    }()

    static func image(_ source: String) throws -> Volume {
        source == "synthetic" ? synthetic : try ImageFileReader.read(TestPaths.reference("pyradiomics/data/\(source)_image.nrrd"))
    }

    /// Response maps of a peer script that prints [{"name", "file"}], keyed by name.
    static func peerMaps(_ json: String) throws -> [(name: String, values: [Double])] {
        let list = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [[String: String]]
        return try list.map { ($0["name"]!, try PythonPeer.readDoubles(URL(fileURLWithPath: $0["file"]!))) }
    }

    /// pyradiomics' get<Kind>Image on `source` ("synthetic", "breast1", "brain1").
    static func pyradiomics(_ kind: String, _ params: String, _ source: String, dir: URL) throws -> [(name: String, values: [Double])] {
        var args = [dir.path, kind, params]
        if source == "synthetic" {
            let raw = dir.appendingPathComponent("input.f64")
            try PythonPeer.writeRaw(synthetic.voxels.toDoubles(), to: raw)
            let g = synthetic.geometry
            args += ["--raw", raw.path] + [g.size.x, g.size.y, g.size.z].map(String.init) + [g.spacing.x, g.spacing.y, g.spacing.z].map { "\($0)" }
        } else {
            args += ["image", "label"].map { TestPaths.reference("pyradiomics/data/\(source)_\($0).nrrd").path }
        }
        return try peerMaps(try PythonPeer.script("pyradiomics_filters.py", args))
    }

    /// max |a − b| / max |b|: the difference relative to the map's scale (a voxel-wise
    /// relative difference is meaningless where a LoG or wavelet band crosses zero).
    static func relativeDifference(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count)
        var diff = 0.0, scale = 0.0
        for i in 0..<a.count { diff = max(diff, abs(a[i] - b[i])); scale = max(scale, abs(b[i])) }
        return scale > 0 ? diff / scale : diff
    }
}
