import LoomCore

/// The factors a positive's weight is the product of (`weights:` in a pipeline file); what each
/// measures is in `PairWeighting`.
public enum PairWeight: String, NamedChoice {
    case uniform, frequency, reciprocal, idf

    public static let kind = "weight"
}
