/// What fetching one (normalised) URL gave: a photo in the store, or a failure. The journal keeps
/// one per URL; the stage's output gives each item the record of its URL.
struct FetchRecord: Sendable, Equatable {
    var url: String
    /// The last HTTP status seen (nil when no response came).
    var httpStatus: Int?
    var result: Result<Photo, FetchFailure>
    /// HTTP requests made for it, redirects and retries included.
    var attempts: Int
    /// The run that made it (`FetchJournal.beginRun`).
    var run: Int64 = 0

    struct Photo: Sendable, Equatable {
        var bytes: Int
        var contentHash: String
        var format: PhotoFormat
    }

    /// `ok` or `failed`, as both the journal and `fetches.status` store it.
    var status: String { photo == nil ? "failed" : "ok" }

    var photo: Photo? { try? result.get() }

    var failure: FetchFailure? {
        if case .failure(let failure) = result { return failure }
        return nil
    }
}
