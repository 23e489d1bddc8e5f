import KiraCore
import KiraRadiomics
import Testing

/// Bad image-type parameters fail with a KiraError that names the image type and the key.
@Suite struct FiltersParameterTests {
    static let image = FilterFixtures.synthetic

    static let bad: [(ImageTypeSpec, [String])] = [
        (ImageTypeSpec(.log, parameters: ["sigma": .array([2.0, -1.0])]), ["LoG", "sigma", "positive"]),
        (ImageTypeSpec(.log, parameters: [:]), ["LoG", "sigma", "required"]),
        (ImageTypeSpec(.log, parameters: ["sigma": "two"]), ["LoG", "sigma"]),
        (ImageTypeSpec(.log, parameters: ["sigma": 2.0, "sigmas": 3.0]), ["LoG", "unknown parameter 'sigmas'"]),
        (ImageTypeSpec(.log, parameters: ["sigma": 40.0]), ["LoG", "sigma", "too large"]),
        (ImageTypeSpec(.wavelet, parameters: ["wavelet": "coif9"]), ["Wavelet", "wavelet", "coif9", "coif1"]),
        (ImageTypeSpec(.wavelet, parameters: ["level": 0]), ["Wavelet", "level"]),
        (ImageTypeSpec(.wavelet, parameters: ["levels": 2]), ["Wavelet", "unknown parameter 'levels'"]),
        (ImageTypeSpec(.gradient, parameters: ["gradientUseSpacing": "yes"]), ["Gradient", "gradientUseSpacing"]),
        (ImageTypeSpec(.square, parameters: ["scale": 2.0]), ["Square", "unknown parameter 'scale'"]),
    ]

    @Test(arguments: 0..<bad.count)
    func badParameterIsNamed(_ i: Int) {
        let (spec, words) = Self.bad[i]
        do {
            _ = try ImageFilters.apply(spec, to: Self.image, mask: nil)
            Issue.record("\(spec) was accepted")
        } catch let error as KiraError {
            let message = "\(error)"
            for w in words { #expect(message.contains(w), "'\(message)' lacks '\(w)'") }
        } catch {
            Issue.record("\(spec) threw \(error), not a KiraError")
        }
    }
}
