import Foundation
import LoomCore
import Testing

/// `BackgroundTask` hands over its result to every `wait()`, so an error path that waits again
/// (as `StageRunner` does when input hashing fails) returns instead of hanging.
@Suite struct BackgroundTaskTests {
    struct Failure: Error, Equatable {}

    @Test func waitingTwiceGivesTheSameResultOrError() throws {
        let value = BackgroundTask { 42 }
        #expect(try value.wait() == 42)
        #expect(try value.wait() == 42)
        let failing = BackgroundTask<Int> { throw Failure() }
        #expect(throws: Failure.self) { _ = try failing.wait() }
        #expect(throws: Failure.self) { _ = try failing.wait() }
    }
}
