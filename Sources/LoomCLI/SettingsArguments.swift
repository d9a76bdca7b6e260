import ArgumentParser
import Logging
import LoomCore
import LoomFormats
import LoomImages
import LoomInference
import LoomText
import LoomTrain
import LoomTriplets

// The closed choices of the stages' settings as flag values: parsed by their raw value, listed in
// `--help`, and refused with that list when misspelt.
extension TextSettings.Tokenizer: ExpressibleByArgument {}
extension TrainSettings.Loss: ExpressibleByArgument {}
extension TextPooling: ExpressibleByArgument {}
extension BackbonePrecision: ExpressibleByArgument {}
extension ImagesSettings.Encoding: ExpressibleByArgument {}
extension TripletSettings.NegativeStrategy: ExpressibleByArgument {}
extension ItemSplit.Part: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}

extension NamedChoice {
    /// The choices of a comma-separated flag, or a usage error naming the unknown one and the known ones.
    static func flagValues(_ text: String, flag: String) throws -> [Self] {
        let (choices, unknown) = list(text)
        if let unknown { throw ValidationError("\(flag): \(Self.unknown(unknown))") }
        return choices
    }
}
