import Foundation

/// Whether a stage must run, and why, in words a data engineer can act on.
public enum Freshness: Sendable, Equatable {
    case fresh
    case stale(String)
    case missing

    public var mustRun: Bool { self != .fresh }

    public var explanation: String {
        switch self {
        case .fresh: "fresh: inputs, settings and version unchanged"
        case .missing: "missing: no output yet"
        case .stale(let reason): "stale: \(reason)"
        }
    }

    /// Compares what produced the existing output with what would produce it now.
    public static func decide(recorded: StageMeta, version: String, settings: String, inputs: [HashedInput],
                              shard: String) -> Freshness {
        if recorded.loomVersion != version {
            return .stale("Loom version changed (\(recorded.loomVersion) → \(version))")
        }
        if recorded.shard != shard {
            return .stale("shard changed (\(recorded.shard) → \(shard))")
        }
        if recorded.settings != settings {
            return .stale(settingsDifference(old: recorded.settings, new: settings))
        }
        let old = Dictionary(recorded.inputs.map { ($0.label, $0.hash) }, uniquingKeysWith: { first, _ in first })
        let new = Dictionary(inputs.map { ($0.label, $0.hash) }, uniquingKeysWith: { first, _ in first })
        for input in inputs {
            guard let before = old[input.label] else { return .stale("new input \(input.label)") }
            if before != input.hash { return .stale("input \(input.label) changed") }
        }
        if let removed = recorded.inputs.first(where: { new[$0.label] == nil }) {
            return .stale("input \(removed.label) no longer used")
        }
        return .fresh
    }

    /// "setting 'size' changed (224 → 256)" from two canonical JSON objects.
    static func settingsDifference(old: String, new: String) -> String {
        let before = flatten(old)
        let after = flatten(new)
        for key in Set(before.keys).union(after.keys).sorted() where before[key] != after[key] {
            return "setting '\(key)' changed (\(before[key] ?? "unset") → \(after[key] ?? "unset"))"
        }
        return "settings changed"
    }

    private static func flatten(_ json: String) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) else { return [:] }
        var result: [String: String] = [:]
        func walk(_ value: Any, _ path: String) {
            if let dictionary = value as? [String: Any] {
                for (key, child) in dictionary { walk(child, path.isEmpty ? key : "\(path).\(key)") }
            } else if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) {
                result[path] = String(decoding: data, as: UTF8.self)
            }
        }
        walk(object, "")
        return result
    }
}
