import Foundation
import LoomCore

extension IngestStage {
    /// The two record syntaxes ingest reads.
    public enum RecordSyntax: String, Sendable {
        case json
        case pythonLiteral = "python_literal"
    }

    /// What ingest makes of one catalog record written in `syntax`: "item <asin>", "blank", or
    /// the reject reason's code — the parser and the item's fields, without a catalog file or a
    /// work directory. `make fuzz` drives the record parsers through it.
    public static func outcome(ofRecord bytes: UnsafeBufferPointer<UInt8>, syntax: RecordSyntax) -> String {
        guard let extractor = outcomeExtractor else { return "internal" }
        var first = 0
        while first < bytes.count, bytes[first] == 0x20 || bytes[first] == 0x09 || bytes[first] == 0x0D || bytes[first] == 0x0A {
            first += 1
        }
        guard first < bytes.count else { return "blank" }
        do throws(RecordParseError) {
            var rawControl = false
            let pairs = switch syntax {
            case .json: try JSONRecordParser.parseObject(bytes, wanted: RecordExtractor.wantedKeys, rawControl: &rawControl)
            case .pythonLiteral: try PythonLiteralParser.parseObject(bytes)
            }
            return "item " + (try extractor.item(from: pairs)).asin
        } catch {
            return error.reason.code
        }
    }

    /// The default coarse-type rules and no image folders.
    private static let outcomeExtractor: RecordExtractor? = try? RecordExtractor(
        types: CoarseTypeRules(rules: CoarseTypeRule.defaults, ignoredCategories: CoarseTypeRule.defaultIgnoredCategories),
        images: ImageResolver(folders: []))
}
