import Foundation
import LoomCore

/// The shape of a BERT-style sentence encoder, read from its `config.json` (the Hugging Face
/// layout all-MiniLM-L6-v2 ships with).
public struct SentenceEncoderConfig: Sendable, Equatable {
    public var hidden: Int
    public var layers: Int
    public var heads: Int
    public var intermediate: Int
    public var vocabulary: Int
    public var maxPositions: Int
    public var typeVocabulary: Int
    public var layerNormEpsilon: Float

    public var headSize: Int { hidden / heads }

    public init(directory: String) throws {
        let path = (directory as NSString).appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoomError.inputMissing(path: path, reason: "no config.json in the sentence encoder's directory")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw LoomError.badInput(path: path, position: nil, reason: "not a JSON object")
        }
        func integer(_ key: String) throws -> Int {
            guard let value = object[key] as? Int, value > 0 else {
                throw LoomError.badInput(path: path, position: key, reason: "missing or not a positive integer")
            }
            return value
        }
        guard (object["model_type"] as? String) == "bert", (object["hidden_act"] as? String) == "gelu" else {
            throw LoomError.badInput(path: path, position: "model_type", reason: "not a BERT encoder with GELU (model_type bert, hidden_act gelu)")
        }
        hidden = try integer("hidden_size")
        layers = try integer("num_hidden_layers")
        heads = try integer("num_attention_heads")
        intermediate = try integer("intermediate_size")
        vocabulary = try integer("vocab_size")
        maxPositions = try integer("max_position_embeddings")
        typeVocabulary = try integer("type_vocab_size")
        layerNormEpsilon = Float((object["layer_norm_eps"] as? Double) ?? 1e-12)
        guard hidden % heads == 0, hidden % 8 == 0, (hidden / heads) % 8 == 0 else {
            throw LoomError.badInput(path: path, position: "hidden_size", reason: "\(hidden) is not \(heads) heads of a multiple of 8")
        }
        guard intermediate % 8 == 0 else {
            throw LoomError.badInput(path: path, position: "intermediate_size", reason: "\(intermediate) is not a multiple of 8")
        }
    }
}
