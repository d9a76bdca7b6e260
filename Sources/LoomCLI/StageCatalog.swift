import LoomCore
import LoomEmbed
import LoomFeatures
import LoomFetch
import LoomIndex
import LoomImages
import LoomIngest
import LoomText
import LoomTrain
import LoomTriplets

/// Every stage Loom has, in the order a pipeline runs them. Stages register here as they arrive
/// (ingest, fetch, images, text, triplets, features, train, embed, index).
public enum StageCatalog {
    public static let all: [StageDescriptor] = [
        StageDescriptor(IngestStage()),
        StageDescriptor(FetchStage()),
        StageDescriptor(ImagesStage()),
        StageDescriptor(TextStage()),
        StageDescriptor(TripletStage()),
        StageDescriptor(FeaturesStage()),
        StageDescriptor(TrainStage()),
        StageDescriptor(EmbedStage()),
        StageDescriptor(IndexStage()),
    ]
}
