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
    // A failed run leaves no empty folder it made.
    InterruptCleanup.removeEmptyCreatedFolders()
    exit(code == .validationFailure ? KiraExit.failure.rawValue : code.rawValue)
}

kira_keep_large_blocks_in_heap()
// Every command runs in one malloc arena. Cases, series and branches run on whichever pool
// threads are free, and each thread's arena keeps the most it ever held (large freed blocks
// stay in the heap, above), so the resident peak became the sum of the arenas' high-water
// marks and grew with the run: `kira study run` on the 120-case demo cohort peaked at 0.66–
// 0.99 GiB with --jobs 2 and 1.8 GiB with --jobs 1, against 0.41–0.45 and 0.31 GiB in one arena;
// `kira features` on the 1 mm benchmark cohort 102 → 72 MiB; `kira convert` on 16 copies of
// the reference archive 115 → 65 MiB. Set before the interrupt handler starts its threads:
// a thread that allocated earlier keeps an arena of its own.
kira_single_arena()
// Before any work: an interrupt removes temporaries and exits 130/143.
InterruptHandling.install(arguments: CommandLine.arguments)

do {
    var command = try KiraCommand.parseAsRoot()
    do {
        try command.run()
    } catch let e as ValidationError {
        // Parsing and validate() are done: this is a runtime failure, not bad usage, so no usage banner.
        let name = type(of: command).configuration.commandName.map { "kira \($0)" } ?? "kira"
        FileHandle.standardError.write(Data("\(name): \(e.message)\n".utf8))
        InterruptCleanup.removeEmptyCreatedFolders()
        exit(KiraExit.failure.rawValue)
    }
} catch {
    exitAfter(error)
}
