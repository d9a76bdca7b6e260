import Foundation

/// The object keys a parser should build values for, matched on raw bytes so that the many
/// keys it skips never become Strings.
struct WantedKeys: Sendable {
    private let byLength: [[(bytes: [UInt8], name: String)]]
    let names: Set<String>

    init(_ names: Set<String>) {
        self.names = names
        let longest = names.map(\.utf8.count).max() ?? 0
        var table = Array(repeating: [(bytes: [UInt8], name: String)](), count: longest + 1)
        for name in names.sorted() { table[name.utf8.count].append((Array(name.utf8), name)) }
        byLength = table
    }

    /// The wanted key spelled by these bytes (no escapes), or nil.
    func match(_ start: UnsafePointer<UInt8>, count: Int) -> String? {
        guard count < byLength.count else { return nil }
        for candidate in byLength[count] where candidate.bytes.withUnsafeBufferPointer({ memcmp($0.baseAddress!, start, count) == 0 }) {
            return candidate.name
        }
        return nil
    }
}
