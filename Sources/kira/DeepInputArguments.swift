import ArgumentParser
import Foundation
import KiraCore
import KiraDeep

/// How a crop becomes the network's input, shared by `kira deep features` and `kira deep cam`
/// so that a Grad-CAM map explains exactly the input the features came from.
struct DeepInputArguments: ParsableArguments {
    @Option(help: "2d or 2.5d.")
    var input = "2d"

    @Option(help: "Margin around the crop's box, in mm.")
    var margin = 0.0

    @Option(help: "percentile:LOW,HIGH or window:LOW,HIGH.")
    var intensity = "percentile:0.5,99.5"

    @Option(help: "Per-channel means after scaling to [0, 1].")
    var mean = "0.485,0.456,0.406"

    @Option(help: "Per-channel standard deviations.")
    var std = "0.229,0.224,0.225"

    /// The crop settings for `region`; option errors as ValidationError.
    func options(region: CropOptions.Region) throws -> CropOptions {
        do {
            guard let mode = CropOptions.Mode(rawValue: input) else { throw ValidationError("--input '\(input)' must be 2d or 2.5d") }
            guard margin >= 0, margin.isFinite else { throw ValidationError("--margin must be ≥ 0 mm") }
            func triple(_ s: String, _ option: String) throws -> [Float] {
                let v = s.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
                guard v.count == 3, v.allSatisfy(\.isFinite) else { throw ValidationError("\(option) '\(s)' must be three numbers, e.g. 0.485,0.456,0.406") }
                return v
            }
            let sd = try triple(std, "--std")
            guard sd.allSatisfy({ $0 > 0 }) else { throw ValidationError("--std values must be > 0") }
            return CropOptions(region: region, mode: mode, marginMM: margin, intensity: try CropOptions.Intensity(parsing: intensity),
                               mean: try triple(mean, "--mean"), std: sd)
        } catch let e as KiraError {
            throw ValidationError(e.description)
        }
    }

    /// `region` parsed from the text of a --crop option.
    static func region(_ text: String) throws -> CropOptions.Region {
        do { return try CropOptions.Region(parsing: text) } catch let e as KiraError { throw ValidationError(e.description) }
    }
}
