import Foundation

/// Runs one closure on another thread now and hands its result over on `wait()`: the simplest
/// way to overlap two stretches of work without an async context.
public final class BackgroundTask<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `result` is written once by the background thread before `done` is signalled,
    // and read only after `wait()` has seen that signal.
    private var result: Result<Value, Error>?
    private let done = DispatchSemaphore(value: 0)

    public init(_ work: @escaping @Sendable () throws -> Value) {
        DispatchQueue.global().async {
            self.result = Result { try work() }
            self.done.signal()
        }
    }

    public func wait() throws -> Value {
        done.wait()
        guard let result else { throw LoomError.internalError("background task finished without a result") }
        return try result.get()
    }
}
