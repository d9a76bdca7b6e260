import LoomCore
import Testing
@testable import LoomText

/// In a pipeline, text's `train_fraction` is triplets': the word vocabulary is built from the
/// items triplets calls train, never from a valid or test item.
@Suite struct TextPipelineSettingsTests {
    func textSettings(_ yaml: String) throws -> TextSettings {
        try PipelineFile(path: "Pipelines/test.yaml", text: yaml, environment: [:]).settings(TextSettings.self, forStage: "text")
    }

    @Test func takesTripletsTrainFractionWhenItGivesNone() throws {
        #expect(try textSettings("stages:\n  text: {tokenizer: word}\n  triplets: {train_fraction: 0.7}\n").trainFraction == 0.7)
        #expect(try textSettings("stages:\n  text:\n  triplets: {train_fraction: 0.6}\n").trainFraction == 0.6)
        #expect(try textSettings("stages:\n  text: {train_fraction: 0.7}\n  triplets: {train_fraction: 0.7}\n").trainFraction == 0.7)
        #expect(try textSettings("stages:\n  text: {tokenizer: word}\n  triplets: {}\n").trainFraction == TextSettings.defaults.trainFraction)
        #expect(try textSettings("stages:\n  text: {train_fraction: 0.5}\n").trainFraction == 0.5)
    }

    @Test func refusesAnotherValueNamingBothLines() {
        do {
            _ = try textSettings("stages:\n  text:\n    train_fraction: 0.8\n  triplets:\n    train_fraction: 0.7\n")
            Issue.record("accepted text.train_fraction 0.8 beside triplets' 0.7")
        } catch LoomError.usage(let message, let file, let key) {
            #expect(file == "Pipelines/test.yaml" && key == "stages.text.train_fraction")
            #expect(message == "differs from stages.triplets.train_fraction (line 5): the two must agree; leave it out to take that value (line 3)")
        } catch {
            Issue.record("\(error)")
        }
    }
}
