/// `kira convert` command lines in their plain form, parsed without ArgumentParser.
///
/// ArgumentParser's first parse in a process costs several milliseconds of Swift runtime
/// type lookups (building the command tree, reflecting every command's property wrappers,
/// checking for completion-script requests), which for a small series was a third of
/// `kira convert`'s CPU time. This reads only the unambiguous forms: the subcommand, then
/// inputs that do not start with '-', each known option once with its value as the next
/// argument (a value that does not start with '-'), and known flags once. Anything else
/// (help, `--`, `--name=value`, combined short flags, repeats, unknown options, missing
/// output or inputs) returns nil, and main.swift hands the line to ArgumentParser, which
/// then gives the documented messages and exit codes. A test checks that both parses agree.
enum ConvertFastPath {
    /// The job for `arguments` (without the executable name), or nil when ArgumentParser
    /// must read them.
    static func parse(_ arguments: [String]) -> ConvertJob? {
        guard arguments.first == "convert" else { return nil }
        var inputs: [String] = []
        var output: String?, template: String?, spacing: String?
        var keepPhi = false, keepRgb = false, gzip = false, overwrite = false, philipsPrecise = false
        var json = false, verbose = false, quiet = false
        // Plain switches rather than lookup tables: a first Dictionary or Set of a type
        // costs a runtime metadata lookup, which is what this path avoids.
        func setOnce(_ value: inout String?, _ next: String?) -> Bool {
            guard value == nil, let next, !next.isEmpty, !next.hasPrefix("-") else { return false }
            value = next
            return true
        }
        func flagOnce(_ flag: inout Bool) -> Bool {
            guard !flag else { return false }
            flag = true
            return true
        }
        var i = 1
        while i < arguments.count {
            let a = arguments[i]
            let next: String? = i + 1 < arguments.count ? arguments[i + 1] : nil
            i += 1
            let understood: Bool
            switch a {
            case "-o", "--output": understood = setOnce(&output, next); i += 1
            case "--template": understood = setOnce(&template, next); i += 1
            case "--spacing": understood = setOnce(&spacing, next); i += 1
            case "--keep-phi": understood = flagOnce(&keepPhi)
            case "--keep-rgb": understood = flagOnce(&keepRgb)
            case "--gzip": understood = flagOnce(&gzip)
            case "--overwrite": understood = flagOnce(&overwrite)
            case "--philips-precise": understood = flagOnce(&philipsPrecise)
            case "--json": understood = flagOnce(&json)
            case "-v", "--verbose": understood = flagOnce(&verbose)
            case "-q", "--quiet": understood = flagOnce(&quiet)
            case "", "help": understood = false
            default:
                understood = !a.hasPrefix("-")
                inputs.append(a)
            }
            if !understood { return nil }
        }
        guard !inputs.isEmpty, let output else { return nil }
        var job = ConvertJob(inputs: inputs, output: output)
        if let template { job.template = template }
        job.spacing = spacing
        job.keepPhi = keepPhi
        job.keepRgb = keepRgb
        job.gzip = gzip
        job.overwrite = overwrite
        job.philipsPrecise = philipsPrecise
        job.json = json
        job.verbose = verbose
        job.quiet = quiet
        return job
    }
}
