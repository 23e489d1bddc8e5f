import ArgumentParser
import Logging

/// Options every subcommand shares for its diagnostics, which go to stderr.
struct LoggingOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print progress and per-file details on stderr.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "Print only errors on stderr.")
    var quiet = false

    func makeLogger(label: String) -> Logger {
        let level: Logger.Level = verbose ? .debug : (quiet ? .error : .warning)
        LoggingBootstrap.once(level: level)
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}

enum LoggingBootstrap {
    nonisolated(unsafe) private static var done = false
    static func once(level: Logger.Level) {
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
    }
}
