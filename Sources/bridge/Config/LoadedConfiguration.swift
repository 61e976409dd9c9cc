import Foundation

/// The configuration as `serve` reads it: variables, then the mapping file, with every problem found.
struct LoadedConfiguration: Sendable {
    var configuration: BridgeConfiguration
    var mapping: MappingFile?
    /// Each names the variable, or the file with its line and key, and what was expected.
    var problems: [String]

    static func load(_ environment: [String: String]) -> LoadedConfiguration {
        let (configuration, problems) = BridgeConfiguration.load(environment)
        var all = problems.map(\.description)
        var mapping: MappingFile?
        if let path = configuration.mappingFile {
            do {
                mapping = try MappingFile.load(path: path)
            } catch {
                all.append("BRIDGE_MAPPING_FILE: \(error)")
            }
        }
        return LoadedConfiguration(configuration: configuration, mapping: mapping, problems: all)
    }
}
