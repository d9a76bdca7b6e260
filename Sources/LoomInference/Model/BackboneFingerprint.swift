import Crypto
import Foundation
import LoomCore

/// A hash of a model's frozen backbone weights (every `visual.*` tensor but the trained
/// `visual.proj`), whichever file holds them: the starting model's backbone file and a trained
/// model's own weights give the same hash when the backbone is the same. Pooled features made
/// with one backbone are reused only by a model with the same hash.
public enum BackboneFingerprint {
    public static func of(directory: String) throws -> String {
        let configPath = (directory as NSString).appendingPathComponent("config.json")
        let config = try LoomNetConfig.load(path: configPath)
        let weightsPath = (directory as NSString).appendingPathComponent("model.safetensors")
        let path: String
        if FileManager.default.fileExists(atPath: weightsPath) {
            path = weightsPath
        } else if let backbone = config.backboneWeights {
            path = backbone.hasPrefix("/") ? backbone : (directory as NSString).appendingPathComponent(backbone)
        } else {
            throw LoomError.inputMissing(path: weightsPath, reason: "no weights and no backbone_weights in \(configPath)")
        }
        let file = try SafetensorsFile(path: path)
        var hasher = SHA256()
        for entry in file.entries.values.sorted(by: { $0.name < $1.name })
        where entry.name.hasPrefix("visual.") && !entry.name.hasPrefix("visual.proj.") {
            hasher.update(data: Data("\(entry.name) \(entry.shape)\n".utf8))
            try file.floats(entry.name, shape: entry.shape).withUnsafeBytes { hasher.update(bufferPointer: $0) }
        }
        return ContentHash.hex(hasher.finalize())
    }
}
