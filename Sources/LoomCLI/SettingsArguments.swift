import ArgumentParser
import LoomFormats
import LoomImages
import LoomText
import LoomTriplets

// The closed choices of the stages' settings as flag values: parsed by their raw value, listed in
// `--help`, and refused with that list when misspelt.
extension TextSettings.Tokenizer: ExpressibleByArgument {}
extension ImagesSettings.Encoding: ExpressibleByArgument {}
extension TripletSettings.NegativeStrategy: ExpressibleByArgument {}
extension ItemSplit.Part: ExpressibleByArgument {}
