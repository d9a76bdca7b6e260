import LoomCore

/// Why one catalog record could not be parsed; becomes a row in `rejects`.
struct RecordParseError: Error, Equatable {
    var reason: RejectReason
    var detail: String

    static func json(_ detail: String, at offset: Int) -> RecordParseError {
        RecordParseError(reason: IngestRejects.invalidJSON, detail: "\(detail) at byte \(offset)")
    }

    static func literal(_ detail: String, at offset: Int) -> RecordParseError {
        RecordParseError(reason: IngestRejects.invalidLiteral, detail: "\(detail) at byte \(offset)")
    }

    static func utf8(at offset: Int) -> RecordParseError {
        RecordParseError(reason: IngestRejects.invalidUTF8, detail: "invalid UTF-8 in a string at byte \(offset)")
    }
}

/// The reject reasons of the ingest stage.
public enum IngestRejects {
    public static let invalidJSON = RejectReason("invalid_json")
    public static let invalidLiteral = RejectReason("invalid_literal")
    public static let invalidUTF8 = RejectReason("invalid_utf8")
    public static let missingAsin = RejectReason("missing_asin")
    public static let notAnObject = RejectReason("not_an_object")
    /// A repeated asin is recorded (with its position) but is not bad data.
    public static let duplicateAsin = RejectReason("duplicate_asin", countsTowardLimit: false)
}
