public enum LoomSampleDataPlaceholder {}
