import ArgumentParser
import KiraCore

struct KiraCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kira",
        abstract: "Breast-imaging archive to Ki-67 prediction: conversion, QC, radiomics, models.",
        version: KiraVersion.current,
        subcommands: [
            ConvertCommand.self, InspectCommand.self, ResampleCommand.self, PreprocessCommand.self, MaskCommand.self, QCCommand.self,
            FeaturesCommand.self, LearnTrainCommand.self, LearnPredictCommand.self, LearnEvaluateCommand.self,
            LearnCompareCommand.self, LearnExplainCommand.self, SurvivalCommand.self, StudyCommand.self, SynthCommand.self,
            ExportCommand.self,
            PACSCommand.self,
            ReportCommand.self,
            DeepCommand.self,
        ]
    )
}

/// Exit codes shared by the subcommands; each command's help and man page lists them.
enum KiraExit: Int32 {
    /// Everything asked for was done.
    case success = 0
    /// Nothing was done: bad usage, or no input could be read.
    case failure = 1
    /// Some inputs were done and some failed; the failures are listed.
    case partial = 2
    /// Stopped by SIGINT (128 + 2); temporary files removed.
    case interrupted = 130
    /// Stopped by SIGTERM (128 + 15); temporary files removed.
    case terminated = 143

    static let helpText = """
    EXIT CODES:
      0  every input was processed
      1  nothing was processed, or bad usage (unknown option, unsafe --template, missing input,
         an output that is one of the inputs, an output extension that is not the format
         written, an existing output without --overwrite)
      2  partial success: some inputs failed; each failure is listed with its file and reason
      130  interrupted by SIGINT (Ctrl-C), 143 by SIGTERM: temporary files and folders the
         run made and left empty are removed; one line on stderr says what was complete
    """
}
