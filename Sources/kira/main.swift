import ArgumentParser
import Foundation

// argument-parser exits with 64 on a usage error; Kira documents 1 for bad usage, so the
// entry point maps the codes itself.
do {
    var command = try KiraCommand.parseAsRoot()
    try command.run()
} catch {
    let code = KiraCommand.exitCode(for: error)
    let message = KiraCommand.fullMessage(for: error)
    if !message.isEmpty {
        if code == .success { print(message) } else { FileHandle.standardError.write(Data((message + "\n").utf8)) }
    }
    exit(code == .validationFailure ? KiraExit.failure.rawValue : code.rawValue)
}
