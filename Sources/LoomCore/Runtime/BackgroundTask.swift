import Foundation

/// Runs one closure on another thread now and hands its result over on `wait()`: the simplest
/// way to overlap two stretches of work without an async context. The thread is its own, not a
/// GCD worker: libdispatch's global queue runs at most one block per core, and a test process
/// that has its workers blocked elsewhere once left the block unstarted and `wait()` hung.
public final class BackgroundTask<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `result` is written once by the background thread before `done` is signalled,
    // and read only after `wait()` has seen that signal.
    private var result: Result<Value, Error>?
    private let done = DispatchSemaphore(value: 0)

    public init(_ work: @escaping @Sendable () throws -> Value) {
        let thread = Thread {
            self.result = Result { try work() }
            self.done.signal()
        }
        thread.start()
    }

    /// The closure's result (or error); may be called more than once (the signal is passed on,
    /// so a second wait — say in an error path — returns at once instead of hanging).
    public func wait() throws -> Value {
        done.wait()
        done.signal()
        guard let result else { throw LoomError.internalError("background task finished without a result") }
        return try result.get()
    }
}
