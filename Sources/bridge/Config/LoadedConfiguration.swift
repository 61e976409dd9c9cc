import Foundation
import MappingFiles

/// The configuration as `serve` reads it: variables, then the mapping file, with every problem found.
struct LoadedConfiguration: Sendable {
    var configuration: BridgeConfiguration
    var mapping: MappingFile?
    /// Each names the variable, or the file with its line and key, and what was expected.
    var problems: [String]

    /// `flags`: the variables a command-line flag set, by variable, with the flag's name; a problem with
    /// such a value names the flag the operator typed, not only the variable.
    static func load(_ environment: [String: String], flags: [String: String] = [:]) -> LoadedConfiguration {
        let (configuration, problems) = BridgeConfiguration.load(environment)
        var all = problems.map { problem in
            flags[problem.variable].map { "\($0) (\(problem.variable)): \(problem.message)" } ?? problem.description
        }
        var mapping: MappingFile?
        if let path = configuration.mappingFile {
            do {
                mapping = try MappingFile.load(path: path)
            } catch {
                all.append("\(flags["BRIDGE_MAPPING_FILE"].map { "\($0) (BRIDGE_MAPPING_FILE)" } ?? "BRIDGE_MAPPING_FILE"): \(error)")
            }
        }
        return LoadedConfiguration(configuration: configuration, mapping: mapping, problems: all)
    }
}
