import LoomCore

/// Why an image could not be used; `reason` is the reject code of the images stage.
public struct ImageError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        case truncated, corruptData = "corrupt_data", unsupported, tooLarge = "too_large"
        case notAnImage = "not_an_image", missingFile = "missing_file", ioError = "io_error"
    }

    public var reason: Reason
    /// The decoder's own message.
    public var message: String

    public init(reason: Reason, message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(reason.rawValue): \(message)" }

    public var rejectReason: RejectReason { RejectReason(reason.rawValue) }
}
