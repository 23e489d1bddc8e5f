import ArgumentParser
import Foundation
import KiraCore
import KiraLearn

/// Shared by the learning subcommands: input options, JSON output, error reporting.
struct LearnInputOptions: ParsableArguments {
    @Option(name: .customLong("id-column"), help: "The id column shared by the feature, label and prediction files.")
    var idColumn: String = "id"
}

/// The outcome: a labels CSV, its column, and the Ki-67 cut-off for percentage labels.
struct LabelOptions: ParsableArguments {
    @Option(help: "Labels CSV.")
    var labels: String

    @Option(name: .customLong("label-column"), help: "The outcome column in the labels CSV.")
    var labelColumn: String

    @Option(help: "Ki-67 cut-off in percent for a percentage label column (high = above).")
    var threshold: Double?

    func validate() throws {
        guard FileManager.default.fileExists(atPath: labels) else { throw ValidationError("'\(labels)' does not exist") }
    }

    func load(idColumn: String, splitColumn: String? = nil) throws -> Labels {
        try Labels.load(URL(fileURLWithPath: labels), idColumn: idColumn, labelColumn: labelColumn,
                        threshold: threshold, splitColumn: splitColumn)
    }
}

/// A saved model applied to feature CSVs (predict, explain).
struct ModelInputOptions: ParsableArguments {
    @Option(help: "Model file written by kira train.")
    var model: String

    @Option(name: .customLong("features"), parsing: .upToNextOption, help: "Feature CSV files.")
    var features: [String]

    @Option(parsing: .upToNextOption, help: "Column prefixes per feature file (default: those used in training).")
    var prefix: [String] = []

    @OptionGroup var input: LearnInputOptions

    func validate() throws {
        for f in features + [model] where !FileManager.default.fileExists(atPath: f) {
            throw ValidationError("'\(f)' does not exist")
        }
    }

    /// The model, the joined feature table and its columns in the model's input order.
    func load() throws -> (file: ModelFile, table: FeatureTable, x: Matrix) {
        let file = try ModelFile.read(URL(fileURLWithPath: model))
        let table = try FeatureTable.load(features.map { URL(fileURLWithPath: $0) }, idColumn: input.idColumn,
                                          prefixes: prefix.isEmpty ? (file.training.prefixes ?? []) : prefix)
        let x = try table.columns(for: file.pipeline.inputFeatures, source: features.joined(separator: " + "))
        return (file, table, x)
    }
}

enum LearnOutput {
    static func json(_ object: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// A Codable value as a JSON object, for merging into a command's report.
    static func object<T: Encodable>(_ value: T) throws -> Any {
        try JSONSerialization.jsonObject(with: try JSONEncoder().encode(value))
    }

    static func fail(_ command: String, _ error: Error) -> ExitCode {
        let message = (error as? KiraError)?.description ?? "\(error)"
        FileHandle.standardError.write(Data("kira \(command): \(message)\n".utf8))
        return ExitCode(KiraExit.failure.rawValue)
    }

    static func stderr(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }
}

/// A predictions CSV: the id column and `probability`.
struct PredictionsFile {
    var ids: [String]
    var probabilities: [Double]

    init(_ path: String, idColumn: String) throws {
        let t = try CSVTable(contentsOf: URL(fileURLWithPath: path))
        ids = try t.strings(idColumn)
        let p = try t.numbers("probability")
        if let r = p.firstIndex(where: { $0 == nil }) {
            throw KiraError.invalidData("\(path): row \(r + 2): missing probability for id \"\(ids[r])\"")
        }
        probabilities = p.map { $0! }
        var seen = Set<String>()
        for id in ids where !seen.insert(id).inserted {
            throw KiraError.invalidData("\(path): id \"\(id)\" appears twice")
        }
    }

    /// Probabilities and labels of the ids that have both; ids without a label are an error.
    func aligned(with labels: Labels, source: String) throws -> [Bool] {
        try labels.aligned(to: ids, source: source)
    }
}

extension Evaluation {
    /// The report keys of `kira evaluate`, with the confusion matrix as a named object.
    func reportObject() throws -> [String: Any] {
        try LearnOutput.object(self) as! [String: Any]
    }
}
