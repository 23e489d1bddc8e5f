import ArgumentParser
import CKiraKernels
import Foundation
import KiraCore

// argument-parser exits with 64 on a usage error; Kira documents 1 for bad usage, so the
// entry point maps the codes itself.
func exitAfter(_ error: Error) -> Never {
    let code = KiraCommand.exitCode(for: error)
    let message = KiraCommand.fullMessage(for: error)
    if !message.isEmpty {
        if code == .success { print(message) } else { FileHandle.standardError.write(Data((message + "\n").utf8)) }
    }
    InterruptCleanup.removeEmptyCreatedFolders()
    exit(code == .validationFailure ? KiraExit.failure.rawValue : code.rawValue)
}

/// After a command has finished: every output is written and closed by now, and what exit
/// handlers would add is dcmtk freeing its 7,800 dictionary entries one by one (and the
/// freeing of everything else the process holds). Flush stdio and leave without them.
func leave(_ code: Int32) -> Never {
    // A failed run leaves no empty folder it made.
    if code != KiraExit.success.rawValue { InterruptCleanup.removeEmptyCreatedFolders() }
    fflush(nil)
    _exit(code)
}

kira_keep_large_blocks_in_heap()
// Before any work, the fast path's included: an interrupt removes temporaries and exits 130/143.
InterruptHandling.install(arguments: CommandLine.arguments)

// A plain `kira convert` line skips ArgumentParser (see ConvertFastPath); when its values do
// not validate, ArgumentParser parses the line again and reports the error as usual.
if let job = ConvertFastPath.parse(Array(CommandLine.arguments.dropFirst())), (try? job.validate()) != nil {
    var code = KiraExit.success.rawValue
    do { try job.run() } catch let e as ExitCode { code = e.rawValue } catch { exitAfter(error) }
    leave(code)
}

FeaturesPrefetch.start(CommandLine.arguments)

do {
    var command = try KiraCommand.parseAsRoot()
    do {
        try command.run()
    } catch let e as ValidationError {
        // Parsing and validate() are done: this is a runtime failure, not bad usage, so no usage banner.
        let name = type(of: command).configuration.commandName.map { "kira \($0)" } ?? "kira"
        FileHandle.standardError.write(Data("\(name): \(e.message)\n".utf8))
        leave(KiraExit.failure.rawValue)
    }
} catch {
    exitAfter(error)
}
leave(KiraExit.success.rawValue)
