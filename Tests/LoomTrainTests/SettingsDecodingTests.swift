import Foundation
import LoomCore
import LoomEmbed
import LoomImages
import LoomIndex
import LoomIngest
import LoomText
import LoomTrain
import LoomTriplets
import Testing

/// Every stage's settings decode through one function over their `defaults`: an empty object is
/// the defaults, an absent or null key keeps its default, a given key wins, a wrong type fails.
@Suite struct SettingsDecodingTests {
    func check<S: StageSettings>(_ type: S.Type, key: String, json value: String, changes: (S) -> Bool) throws {
        #expect(try S.decode(fromJSON: Data("{}".utf8)) == S.defaults, "\(S.self)")
        // The defaults survive their own canonical JSON (what meta records) bit for bit.
        #expect(try S.decode(fromJSON: JSONEncoder().encode(S.defaults)) == S.defaults, "\(S.self)")
        #expect(try S.decode(fromJSON: Data("{\"\(key)\": null}".utf8)) == S.defaults, "\(S.self).\(key)")
        let given = try S.decode(fromJSON: Data("{\"\(key)\": \(value)}".utf8))
        #expect(given != S.defaults && changes(given), "\(S.self).\(key)")
        #expect(throws: DecodingError.self) { try S.decode(fromJSON: Data("{\"\(key)\": {\"x\": 1}}".utf8)) }
    }

    @Test func everyStagesSettings() throws {
        try check(IngestSettings.self, key: "catalog", json: "[\"a.jsonl\"]") { $0.catalog == ["a.jsonl"] && $0.maxRejectRatio == 0.05 }
        try check(ImagesSettings.self, key: "size", json: "128") { $0.size == 128 && $0.resizeShorter == ImagesSettings.defaults.resizeShorter }
        try check(TextSettings.self, key: "max_len", json: "16") { $0.maxLength == 16 && $0.fields == TextSettings.defaults.fields }
        try check(TripletSettings.self, key: "valid_fraction", json: "0.2") { $0.validFraction == 0.2 && $0.kinds == TripletSettings.defaults.kinds }
        try check(TrainSettings.self, key: "lr", json: "0.003") { $0.learningRate == 0.003 && $0.epochs == TrainSettings.defaults.epochs }
        try check(EmbedSettings.self, key: "batch", json: "7") { $0.batch == 7 && $0.model == EmbedSettings.defaults.model }
        try check(IndexSettings.self, key: "norm_tolerance", json: "0.5") { $0.normTolerance == 0.5 }
    }

    /// Edge kinds are EdgeKind values: recorded by name as before, and a misspelt one is refused
    /// with the known names.
    @Test func edgeKindsDecodeByNameAndRefuseUnknownOnes() throws {
        let given = try TripletSettings.decode(fromJSON: Data(#"{"kinds": ["also_viewed"]}"#.utf8))
        #expect(given.kinds == [.alsoViewed])
        #expect(try TripletSettings.decode(fromJSON: Data(#"{"weights": ["idf"]}"#.utf8)).weights == [.idf])
        #expect(throws: DecodingError.self) { try TripletSettings.decode(fromJSON: Data(#"{"weights": ["popularity"]}"#.utf8)) }
        #expect(try TextSettings.decode(fromJSON: Data(#"{"fields": ["brand", "title"]}"#.utf8)).fields == [.brand, .title])
        #expect(throws: DecodingError.self) { try TextSettings.decode(fromJSON: Data(#"{"fields": ["colour"]}"#.utf8)) }
        let json = String(decoding: try JSONEncoder().encode(TripletSettings.defaults), as: UTF8.self)
        #expect(json.contains(#""kinds":["also_bought","bought_together"]"#), "\(json)")
        do {
            _ = try TripletSettings.decode(fromJSON: Data(#"{"kinds": ["also_bougt"]}"#.utf8))
            Issue.record("accepted an unknown edge kind")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription.contains("'also_bougt'") && context.debugDescription.contains("bought_together"))
        }
    }
}
