import Foundation
import LoomCore
import LoomInference

/// The trainer's whole state after an epoch in one safetensors file — current and best head
/// weights, Adam's moments and step, the epoch history — written to a temporary name and
/// renamed, so an interrupted run leaves the previous checkpoint whole. `--resume` continues
/// from it and ends with the same model as an uninterrupted run.
enum TrainingCheckpoint {
    static func write(_ trainer: Trainer, fingerprint: String, to path: String) throws {
        var tensors = trainer.parameters.export().map { SafetensorsWriter.Tensor(name: "head." + $0.name, shape: $0.shape, values: $0.values) }
        for (tensor, values) in zip(trainer.parameters.tensors, trainer.best) {
            tensors.append(.init(name: "best." + tensor.name, shape: tensor.shape, values: values))
        }
        tensors += trainer.optimizer.export(trainer.parameters)
        let state = String(decoding: try JSONEncoder().encode(trainer.state), as: UTF8.self)
        let metadata = ["fingerprint": fingerprint, "state": state, "adam_step": String(trainer.optimizer.step)]
        let temporary = path + ".tmp-\(getpid())"
        StaleTemporaries.remove(besides: path)
        try SafetensorsWriter.write(tensors, metadata: metadata, to: temporary)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw LoomError.cannotCreateOutput(path: path, reason: "cannot rename the checkpoint into place: \(String(cString: strerror(errno)))")
        }
    }

    /// Restores `trainer` from `path`. Fails when the checkpoint belongs to other inputs or settings.
    static func restore(_ trainer: Trainer, fingerprint: String, from path: String) throws {
        let file = try SafetensorsFile(path: path)
        guard file.metadata["fingerprint"] == fingerprint else {
            throw LoomError.usage("\(path) was written for other inputs or settings; run without --resume to start over")
        }
        guard let stateJSON = file.metadata["state"], let step = file.metadata["adam_step"].flatMap(Int.init) else {
            throw LoomError.badInput(path: path, position: "__metadata__", reason: "no training state")
        }
        trainer.state = try JSONDecoder().decode(Trainer.State.self, from: Data(stateJSON.utf8))
        for tensor in trainer.parameters.tensors {
            tensor.value.pointer.update(from: try file.floats("head." + tensor.name, shape: tensor.shape), count: tensor.count)
        }
        trainer.best = try trainer.parameters.tensors.map { try file.floats("best." + $0.name, shape: $0.shape) }
        try trainer.optimizer.restore(from: file, parameters: trainer.parameters, step: step)
    }
}
