/// Process exit statuses, following sysexits(3) as DESIGN.md lists them.
public enum ExitStatus: Int32, Sendable {
    case ok = 0
    case usage = 64
    case dataRejected = 65
    case inputMissing = 66
    case internalError = 70
    case cannotCreateOutput = 73
    case locked = 75
}
