import Foundation

/// Wall-clock times written into `meta`. Honours SOURCE_DATE_EPOCH (the reproducible-builds
/// convention) so that CI regenerating fixtures gets byte-identical files.
public enum RunClock {
    public static func timestamp(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let date: Date
        if let epoch = environment["SOURCE_DATE_EPOCH"], let seconds = TimeInterval(epoch) {
            date = Date(timeIntervalSince1970: seconds)
        } else {
            date = Date()
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
