import ArgumentParser
import Foundation
import KiraCore
import KiraIO
import KiraPreprocess

struct MaskHabitats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "habitats",
        abstract: "Cohort K-means habitats on co-registered sequences; writes each case's habitat mask.",
        discussion: """
        The manifest is a CSV with an id column, a mask column and one column per sequence
        (--images). Inside each mask, every sequence is z-scored per patient; the pooled voxels
        of the cohort are clustered by K-means (k-means++ seeding from --seed, best of --restarts)
        for every K in --k, and the K with the largest Calinski–Harabasz index is kept. The model
        (centroids, CH per K) is written to OUT-DIR/habitat_model.json, or read from --model to
        label new cases without refitting. Each case gets OUT-DIR/<id>_habitats.nii.gz with
        labels 1…K (0 outside the mask). A case that cannot be read is reported and the others go on.

        \(KiraExit.helpText)
        """
    )

    @Option(help: "CSV with the id, mask and image columns.")
    var manifest: String

    @Option(help: "Image columns, comma-separated (one per sequence, co-registered with the mask).")
    var images: String

    @Option(help: "Mask column.")
    var maskColumn = "mask"

    @Option(help: "Id column.")
    var idColumn = "id"

    @Option(help: "Range of K to try, e.g. 3-10 (K at most 255: labels are bytes).")
    var k = "3-10"

    @Option(help: "Seed of the k-means++ initialisation.")
    var seed: UInt64 = 0

    @Option(help: "k-means restarts per K (the best inertia is kept).")
    var restarts = 10

    @Option(help: "Apply this saved model instead of fitting one.")
    var model: String?

    @Option(help: "Output folder.")
    var outDir: String

    @Flag(help: "Print a JSON summary on stdout.")
    var json = false

    @OptionGroup var replace: OutputOptions

    func validate() throws {
        _ = try kRange()
        guard restarts >= 1 else { throw ValidationError("--restarts must be at least 1") }
        guard FileManager.default.fileExists(atPath: manifest) else { throw ValidationError("manifest '\(manifest)' does not exist") }
        if let model, !FileManager.default.fileExists(atPath: model) { throw ValidationError("model '\(model)' does not exist") }
        try replace.check([.init(outDir, option: "--out-dir", format: .folder)], inputs: [manifest, model])
    }

    func kRange() throws -> ClosedRange<Int> {
        let parts = k.split(separator: "-", omittingEmptySubsequences: false).compactMap { Int($0) }
        guard (1...2).contains(parts.count), parts.count == k.split(separator: "-", omittingEmptySubsequences: false).count,
              let lo = parts.first, let hi = parts.last, lo >= 2, lo <= hi, hi <= 255 else {
            throw ValidationError("--k takes K or LOW-HIGH with 2 ≤ LOW ≤ HIGH ≤ 255, got '\(k)'")
        }
        return lo...hi
    }

    func run() throws {
        var failures: [(String, String)] = []
        var cases: [HabitatCase] = []
        do {
            let table = try CSVTable(contentsOf: URL(fileURLWithPath: manifest))
            let ids = try table.strings(idColumn), masks = try table.strings(maskColumn)
            let columns = images.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            let paths = try columns.map { try table.strings($0) }
            let base = URL(fileURLWithPath: manifest).deletingLastPathComponent()
            func resolve(_ p: String) -> URL { p.hasPrefix("/") ? URL(fileURLWithPath: p) : base.appendingPathComponent(p) }
            func caseOutput(_ id: String) -> URL {
                URL(fileURLWithPath: outDir).appendingPathComponent(OutputTemplate.sanitize(id, allowSlash: false) + "_habitats.nii.gz")
            }
            // Every file this run may write, checked before any is: none an input, none there
            // already unless --overwrite.
            var planned = ids.flatMap { OutputGuard.Output.niftiWithSidecar(caseOutput($0).path, option: "--out-dir") }
            if model == nil {
                planned.append(.init(URL(fileURLWithPath: outDir).appendingPathComponent("habitat_model.json").path, option: "--out-dir", format: .json))
            }
            try OutputGuard.check(planned, inputs: [manifest, model].compactMap { $0 } + (masks + paths.flatMap { $0 }).map { resolve($0).path },
                                  overwrite: replace.overwrite)
            InterruptCleanup.expectFiles(planned.count)
            try InterruptCleanup.createDirectory(at: URL(fileURLWithPath: outDir))
            for r in 0..<table.rowCount {
                do {
                    let imgs = try paths.map { try ImageFileReader.read(resolve($0[r])) }
                    let m = try MaskReader.read(resolve(masks[r]), label: nil, matching: imgs[0].geometry, imagePath: resolve(paths[0][r]).path)
                    let c = HabitatCase(id: ids[r], images: imgs, mask: m)
                    _ = try Habitats.features(c)
                    cases.append(c)
                } catch {
                    failures.append((ids[r], FailureText.describe(error)))
                }
            }
            guard !cases.isEmpty else { throw KiraError.invalidArgument("no case of \(manifest) could be read") }
            let fitted: HabitatModel
            if let model {
                fitted = try JSONDecoder().decode(HabitatModel.self, from: Data(contentsOf: URL(fileURLWithPath: model)))
            } else {
                fitted = try Habitats.fit(cases, kRange: try kRange(), seed: seed, restarts: restarts)
                let enc = JSONEncoder()
                enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                try AtomicOutput.write(try enc.encode(fitted), to: URL(fileURLWithPath: outDir).appendingPathComponent("habitat_model.json"))
            }
            var written: [String] = []
            for c in cases {
                do {
                    let h = try Habitats.apply(fitted, to: c)
                    let out = caseOutput(c.id)
                    try MaskOutput.write(h, to: out.path, sources: [manifest])
                    written.append(out.path)
                } catch {
                    failures.append((c.id, FailureText.describe(error)))
                }
            }
            for (id, reason) in failures {
                FileHandle.standardError.write(Data("kira mask habitats: case \(id): \(reason)\n".utf8))
            }
            if json {
                let summary: [String: MetaValue] = [
                    "k": .integer(fitted.centroids.count),
                    "calinski_harabasz": .object(fitted.calinskiHarabasz.mapValues { .number($0) }),
                    "outputs": .array(written.map { .string($0) }),
                    "failures": .array(failures.map { .object(["id": .string($0.0), "reason": .string($0.1)]) }),
                ]
                print(String(decoding: try Sidecar.encode(summary), as: UTF8.self))
            }
            if written.isEmpty { throw ExitCode(KiraExit.failure.rawValue) }
            if !failures.isEmpty { throw ExitCode(KiraExit.partial.rawValue) }
        } catch let e as KiraError {
            for (id, reason) in failures {
                FileHandle.standardError.write(Data("kira mask habitats: case \(id): \(reason)\n".utf8))
            }
            FileHandle.standardError.write(Data("kira mask habitats: \(e.description)\n".utf8))
            throw ExitCode(KiraExit.failure.rawValue)
        }
    }
}
