import ArgumentParser
import Logging

/// Options every subcommand shares for its diagnostics, which go to stderr.
struct LoggingOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print progress and per-file details on stderr.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "Print only errors on stderr.")
    var quiet = false

    func makeLogger(label: String) -> Logger {
        LoggingBootstrap.logger(label: label, verbose: verbose, quiet: quiet)
    }
}

enum LoggingBootstrap {
    nonisolated(unsafe) private static var done = false

    static func logger(label: String, verbose: Bool, quiet: Bool) -> Logger {
        let level: Logger.Level = verbose ? .debug : (quiet ? .error : .warning)
        once(level: level)
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }

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
