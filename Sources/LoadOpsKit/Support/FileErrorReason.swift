import Foundation

/// The part of a Foundation file error a person can act on ("No such file or directory",
/// "Permission denied"): the underlying POSIX error when there is one.
enum FileErrorReason {
    static func text(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError {
            return underlying.localizedDescription
        }
        return nsError.localizedDescription
    }
}
