import Foundation
import Yams

/// A pipeline file (`Pipelines/*.yaml`): where to work, the run options, and the settings of each
/// stage, in the order the stages run. Strict: an unknown key, an unknown stage or a wrong type is
/// a usage error (exit 64) naming the file, the key and its line.
///
/// ```yaml
/// work: ${LOOM_WORK:-work}
/// out: out
/// seed: 1
/// threads: 0
/// stages:
///   ingest:
///     catalog: [SampleData/catalog/2018.jsonl]
/// ```
public struct PipelineFile: Sendable {
    public static let topLevelKeys: Set<String> = ["work", "out", "seed", "threads", "slurm", "kubernetes", "stages"]

    public let path: String
    public var work: String
    public var out: String
    public var seed: UInt64?
    public var threads: Int?
    /// `sbatch` options for `loom run --executor slurm`.
    public var slurm = SlurmSettings()
    /// Image, volume and pods for `loom run --executor kubernetes --emit DIR`.
    public var kubernetes = KubernetesSettings()
    /// Stage names in file order.
    public var stageNames: [String]
    /// Each stage's settings as JSON (variables expanded).
    var stageSettings: [String: Data]
    /// Line of each key path ("stages.ingest.size") for error messages.
    var lines: [String: Int]

    public init(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoomError.inputMissing(path: path, reason: "pipeline file not found")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw LoomError.usage("pipeline file is not UTF-8", file: path)
        }
        try self.init(path: path, text: text, environment: environment)
    }

    public init(path: String, text: String, environment: [String: String]) throws {
        self.path = path
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw LoomError.usage("not valid YAML: \(error)", file: path)
        }
        guard let mapping = root?.mapping else {
            throw LoomError.usage("expected a mapping with keys \(PipelineFile.topLevelKeys.sorted())", file: path)
        }
        var lines: [String: Int] = [:]
        let value = try PipelineFile.convert(.mapping(mapping), path: "", lines: &lines, file: path, environment: environment)
        guard let top = value as? [String: Any] else {
            throw LoomError.usage("expected a mapping at the top", file: path)
        }
        for key in top.keys where !PipelineFile.topLevelKeys.contains(key) {
            throw LoomError.usage("unknown key (expected one of \(PipelineFile.topLevelKeys.sorted().joined(separator: ", "))) at line \(lines[key] ?? 0)", file: path, key: key)
        }
        func string(_ key: String, default fallback: String) throws -> String {
            guard let raw = top[key] else { return fallback }
            guard let text = raw as? String else {
                throw LoomError.usage("expected a path string at line \(lines[key] ?? 0)", file: path, key: key)
            }
            return text
        }
        work = PipelineFile.resolve(try string("work", default: "work"), in: PipelineFile.directory(of: path), bundled: false)
        out = PipelineFile.resolve(try string("out", default: "out"), in: PipelineFile.directory(of: path), bundled: false)
        if let raw = top["seed"] {
            guard let number = raw as? Int, number >= 0 else {
                throw LoomError.usage("expected a non-negative integer at line \(lines["seed"] ?? 0)", file: path, key: "seed")
            }
            seed = UInt64(number)
        }
        if let raw = top["threads"] {
            guard let number = raw as? Int, number >= 0 else {
                throw LoomError.usage("expected a non-negative integer (0 = all cores) at line \(lines["threads"] ?? 0)", file: path, key: "threads")
            }
            threads = number
        }
        if let raw = top["slurm"] {
            slurm = try SlurmSettings(raw, file: path, line: lines["slurm"] ?? 0)
        }
        if let raw = top["kubernetes"] {
            kubernetes = try KubernetesSettings(raw, file: path, line: lines["kubernetes"] ?? 0)
        }
        stageNames = []
        stageSettings = [:]
        if let raw = top["stages"] {
            guard let stagesNode = mapping["stages"]?.mapping, let stages = raw as? [String: Any] else {
                throw LoomError.usage("expected a mapping of stage names to settings at line \(lines["stages"] ?? 0)", file: path, key: "stages")
            }
            for (keyNode, _) in stagesNode {
                guard let name = keyNode.string else { continue }
                stageNames.append(name)
                let settings = stages[name] is NSNull ? [String: Any]() : stages[name] ?? [String: Any]()
                guard settings is [String: Any] else {
                    throw LoomError.usage("expected a mapping of settings at line \(lines["stages.\(name)"] ?? 0)", file: path, key: "stages.\(name)")
                }
                stageSettings[name] = try JSONSerialization.data(withJSONObject: settings, options: [.sortedKeys])
            }
        }
        self.lines = lines
    }

    public func line(of keyPath: String) -> Int? { lines[keyPath] }

    /// The directory the file's relative paths are resolved against: the file's own.
    public var directory: String { PipelineFile.directory(of: path) }

    static func directory(of path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        let absolute = folder.hasPrefix("/") ? folder
            : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(folder)
        return lexical(absolute)
    }

    /// `path` with `.` and `..` taken away as written (a symbolic link is not followed first, so
    /// `../x` next to a linked folder is where a shell would look).
    static func lexical(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// A path written in the file (or put there by a variable), made absolute: relative ones
    /// against the file's directory. A `bundled` one (a model or vocabulary) with nothing behind
    /// it there that Loom's home has (`Models/loomnet-v1`) is the home's. Absolute, so what a run
    /// records (the settings in `meta`, the catalog's image files) is the same from whatever
    /// directory cron or a person starts it, and freshness does not depend on it.
    public static func resolve(_ value: String, in directory: String, bundled: Bool) -> String {
        guard !value.isEmpty else { return value }
        guard !value.hasPrefix("/") else { return lexical(value) }
        let resolved = lexical((directory as NSString).appendingPathComponent(value))
        if bundled, !FileManager.default.fileExists(atPath: resolved), let fromHome = LoomHome.bundled(value) {
            return lexical(fromHome.hasPrefix("/") ? fromHome : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(fromHome))
        }
        return resolved
    }

    /// `T`'s path settings (`T.pathKeys`) in a stage's settings object, resolved (`resolve`).
    func resolvingPaths<T: StageSettings>(_ data: Data, for type: T.Type) throws -> Data {
        guard !T.pathKeys.isEmpty, var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return data }
        for key in T.pathKeys {
            let bundled = T.bundledPathKeys.contains(key)
            if let text = object[key] as? String {
                object[key] = PipelineFile.resolve(text, in: directory, bundled: bundled)
            } else if let list = object[key] as? [Any] {
                object[key] = list.map { ($0 as? String).map { PipelineFile.resolve($0, in: directory, bundled: bundled) } ?? $0 }
            }
        }
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// Decodes the settings of stage `name` into `T`, filling absent keys from defaults.
    /// A key `T` does not know, or a value of the wrong type, is a usage error.
    public func settings<T: StageSettings>(_ type: T.Type, forStage name: String) throws -> T {
        let prefix = "stages.\(name)"
        guard let written = try withSharedKeys(T.sharedKeys, of: name) else { return T.defaults.resolvingBundledPaths() }
        let data = try resolvingPaths(written, for: T.self)
        let decoded: T
        do {
            decoded = try T.decode(fromJSON: data)
        } catch let error as DecodingError {
            throw usageError(error, prefix: prefix)
        } catch let error as LoomError {
            throw error
        }
        // A key that survives decoding must reappear when the result is encoded; one that does
        // not was ignored by the decoder: a typo or a setting this stage does not have.
        let given = try JSONSerialization.jsonObject(with: data)
        let known = try JSONSerialization.jsonObject(with: JSONEncoder().encode(decoded))
        if let unknown = PipelineFile.firstUnknownKey(given: given, known: known, path: prefix) {
            throw LoomError.usage("unknown setting for stage '\(name)'\(lineSuffix(unknown))", file: path, key: unknown)
        }
        return decoded.resolvingBundledPaths()
    }

    /// The settings of stage `name` with each shared key that it does not give taken from the
    /// stage it is shared with; a shared key both give with different values is a usage error.
    private func withSharedKeys(_ shared: [String: String], of name: String) throws -> Data? {
        guard !shared.isEmpty else { return stageSettings[name] }
        var own = try stageSettings[name].map { try JSONSerialization.jsonObject(with: $0) as? [String: Any] ?? [:] }
        for (key, stage) in shared.sorted(by: { $0.key < $1.key }) {
            guard let data = stageSettings[stage], let other = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let value = other[key], !(value is NSNull) else { continue }
            if let given = own?[key], !(given is NSNull) {
                guard (given as? NSObject)?.isEqual(value) == true else {
                    func at(_ keyPath: String) -> String { lines[keyPath].map { " (line \($0))" } ?? "" }
                    throw LoomError.usage("differs from stages.\(stage).\(key)\(at("stages.\(stage).\(key)")): the two must agree; "
                                          + "leave it out to take that value\(at("stages.\(name).\(key)"))", file: path, key: "stages.\(name).\(key)")
                }
            } else {
                own = own ?? [:]
                own?[key] = value
            }
        }
        return try own.map { try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
    }

    private func lineSuffix(_ key: String) -> String {
        lines[key].map { " at line \($0)" } ?? ""
    }

    private func usageError(_ error: DecodingError, prefix: String) -> LoomError {
        func keyPath(_ codingPath: [CodingKey]) -> String {
            ([prefix] + codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue })
                .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case let .typeMismatch(expected, context):
            let key = keyPath(context.codingPath)
            return .usage("expected \(PipelineFile.describe(expected))\(lineSuffix(key))", file: path, key: key)
        case let .valueNotFound(expected, context):
            let key = keyPath(context.codingPath)
            return .usage("expected \(PipelineFile.describe(expected)), found null\(lineSuffix(key))", file: path, key: key)
        case let .keyNotFound(missing, context):
            let key = keyPath(context.codingPath + [missing])
            return .usage("required setting is missing", file: path, key: key)
        case let .dataCorrupted(context):
            let key = keyPath(context.codingPath)
            return .usage("\(context.debugDescription)\(lineSuffix(key))", file: path, key: key)
        @unknown default:
            return .usage("\(error)", file: path, key: prefix)
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int64.Type, is UInt64.Type, is Int32.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "true or false"
        case is String.Type: "a string"
        default:
            "\(type)".hasPrefix("Array") ? "a list" : ("\(type)".hasPrefix("Dictionary") ? "a mapping" : "a value of type \(type)")
        }
    }

    static func firstUnknownKey(given: Any, known: Any, path: String) -> String? {
        if let givenObject = given as? [String: Any] {
            let knownObject = known as? [String: Any] ?? [:]
            for key in givenObject.keys.sorted() {
                let child = "\(path).\(key)"
                guard let knownChild = knownObject[key] else { return child }
                if let deeper = firstUnknownKey(given: givenObject[key]!, known: knownChild, path: child) { return deeper }
            }
        } else if let givenArray = given as? [Any], let knownArray = known as? [Any] {
            for (index, element) in givenArray.enumerated() where index < knownArray.count {
                if let deeper = firstUnknownKey(given: element, known: knownArray[index], path: "\(path)[\(index)]") { return deeper }
            }
        }
        return nil
    }

    /// YAML node → JSON-compatible value, recording lines and expanding `${VAR}` in strings.
    private static func convert(_ node: Node, path: String, lines: inout [String: Int], file: String,
                                environment: [String: String]) throws -> Any {
        if let line = node.mark?.line, !path.isEmpty, lines[path] == nil { lines[path] = line }
        switch node {
        case .mapping(let mapping):
            var object: [String: Any] = [:]
            for (keyNode, valueNode) in mapping {
                guard let key = keyNode.string else {
                    throw LoomError.usage("mapping keys must be strings (line \(keyNode.mark?.line ?? 0))", file: file)
                }
                let child = path.isEmpty ? key : "\(path).\(key)"
                if object[key] != nil {
                    throw LoomError.usage("duplicate key at line \(keyNode.mark?.line ?? 0)", file: file, key: child)
                }
                if let line = keyNode.mark?.line { lines[child] = line }
                object[key] = try convert(valueNode, path: child, lines: &lines, file: file, environment: environment)
            }
            return object
        case .sequence(let sequence):
            return try sequence.enumerated().map { index, element in
                try convert(element, path: "\(path)[\(index)]", lines: &lines, file: file, environment: environment)
            }
        case .scalar(let scalar):
            var text = scalar.string
            let isPlain = scalar.style == .plain
            if text.contains("${") {
                do {
                    text = try EnvironmentExpansion.expand(text, environment: environment)
                } catch let LoomError.usage(message, _, _) {
                    throw LoomError.usage("\(message) (line \(node.mark?.line ?? 0))", file: file, key: path)
                }
            }
            // Quoted scalars are strings; plain ones resolve to int/float/bool/null as in YAML 1.1.
            guard isPlain else { return text }
            let resolved = Node(text)
            switch Resolver.default.resolveTag(of: resolved) {
            case .int: return resolved.int.map { $0 as Any } ?? text
            case .float: return resolved.float.map { $0 as Any } ?? text
            case .bool: return resolved.bool.map { $0 as Any } ?? text
            case .null: return NSNull()
            default: return text
            }
        case .alias:
            throw LoomError.usage("YAML aliases are not supported (line \(node.mark?.line ?? 0))", file: file, key: path)
        }
    }
}
