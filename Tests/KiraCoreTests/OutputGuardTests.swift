import Foundation
import KiraCore
import Testing

@Suite struct OutputGuardTests {
    func message(_ outputs: [OutputGuard.Output], inputs: [String], overwrite: Bool = false) -> String? {
        do {
            try OutputGuard.check(outputs, inputs: inputs, overwrite: overwrite)
            return nil
        } catch {
            return (error as? KiraError)?.description ?? "\(error)"
        }
    }

    @Test func linksToAnInputAreTheInput() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kira-guard-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("t.csv")
        try Data("id\n".utf8).write(to: input)
        let hard = dir.appendingPathComponent("hard.csv"), soft = dir.appendingPathComponent("soft.csv")
        try FileManager.default.linkItem(at: input, to: hard)
        try FileManager.default.createSymbolicLink(at: soft, withDestinationURL: input)
        // Through a symlinked folder, and spelled with ".": the same file by path.
        let alias = dir.appendingPathComponent("alias")
        try FileManager.default.createSymbolicLink(at: alias, withDestinationURL: dir)
        for out in [input.path, hard.path, soft.path, alias.path + "/t.csv", dir.path + "/./t.csv"] {
            let m = message([.init(out, option: "-o", format: .csv)], inputs: [input.path], overwrite: true)
            #expect(m?.hasPrefix("-o '\(out)' is") == true, "\(m ?? "accepted")")
            #expect(m?.contains("the input '\(input.path)'") == true, "\(m ?? "accepted")")
        }
        #expect(message([.init(dir.appendingPathComponent("new.csv").path, option: "-o", format: .csv)], inputs: [input.path]) == nil)
    }

    @Test func extensionsExistenceAndPairs() throws {
        #expect(message([.init("x.nii.gz", option: "-o", format: .csv)], inputs: [])
            == "-o 'x.nii.gz' must end in .csv: the command writes CSV there")
        #expect(message([.init("x.csv", option: "-o", format: .nifti)], inputs: [])
            == "-o 'x.csv' must end in .nii or .nii.gz: the command writes NIfTI there")
        #expect(message(OutputGuard.Output.niftiWithSidecar("/nonexistent-kira/a.nii.gz", option: "-o")
                        + OutputGuard.Output.niftiWithSidecar("/nonexistent-kira/a.nii", option: "--mask-out"), inputs: [])
            == "the sidecar of -o '/nonexistent-kira/a.json' and the sidecar of --mask-out '/nonexistent-kira/a.json' are the same file; give each output its own path")
        // Devices are written to directly, whatever their name.
        #expect(message([.init("/dev/null", option: "-o", format: .csv)], inputs: ["/dev/null"]) == nil)
        let existing = FileManager.default.temporaryDirectory.appendingPathComponent("kira-guard-\(UUID().uuidString.prefix(8)).json")
        try Data().write(to: existing)
        defer { try? FileManager.default.removeItem(at: existing) }
        #expect(message([.init(existing.path, option: "-o", format: .json)], inputs: [])
            == "-o '\(existing.path)' exists; pass --overwrite to replace it")
        #expect(message([.init(existing.path, option: "-o", format: .json)], inputs: [], overwrite: true) == nil)
    }

    @Test func interruptLine() {
        #expect(InterruptCleanup.message(command: "kira convert", signal: "SIGINT", progress: .init(done: 3, total: 7, unit: "series"))
            == "kira convert: interrupted (SIGINT); 3 of 7 series written, no partial file left")
        #expect(InterruptCleanup.message(command: "kira resample", signal: "SIGTERM", progress: .init())
            == "kira resample: interrupted (SIGTERM); no files written, no partial file left")
        #expect(InterruptCleanup.message(command: "kira features", signal: "SIGINT",
                                         progress: .init(done: 2, total: 5, unit: "cases", verb: "done", note: "journal kept"))
            == "kira features: interrupted (SIGINT); 2 of 5 cases done, journal kept, no partial file left")
    }
}
