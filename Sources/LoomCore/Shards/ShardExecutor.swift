/// Runs the shards of one stage for `loom run --shards n`: each shard is the task
/// `loom run PIPELINE --only STAGE --shard i/n`, wherever the executor runs it. Returns when
/// every shard's output is there; throws `LoomError.shardTaskFailed` for the first that failed.
public protocol ShardExecutor: Sendable {
    func runShards(stage: String, count: Int, force: Bool) throws
}
