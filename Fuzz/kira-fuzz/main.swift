import Foundation
import KiraFuzzTargets

// One instrumented build serves every reader: `make fuzz` sets KIRA_FUZZ_TARGET per run.
// Static, so it is chosen on first use whichever main (libFuzzer's or this file's) runs.
enum Chosen {
    static let target: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["KIRA_FUZZ_TARGET"] ?? ""
        guard let t = FuzzTarget(rawValue: name) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            FileHandle.standardError.write(Data("kira-fuzz: set KIRA_FUZZ_TARGET to one of: \(names)\n".utf8))
            exit(2)
        }
        return t
    }()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let data = bytes.map { Data(bytes: $0, count: size) } ?? Data()
    // An error that is not a KiraError is a finding too: it reaches the user without a file
    // name or a reason.
    if let e = Chosen.target.run(data).first {
        fatalError("kira-fuzz: \(Chosen.target.rawValue) threw a non-KiraError: \(type(of: e)): \(e)")
    }
    return 0
}

// SwiftPM points the linker's `main` at this file's code, so libFuzzer's own main does not
// run; its driver is entered here with the same arguments.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<Int32>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

_ = Chosen.target
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(runFuzzerDriver(&argc, &argv, fuzzerTestOneInput))
