import Crypto
import Foundation

/// SHA-256 for archive manifests (swift-crypto, which postgres-nio already brings), written as
/// lowercase hex as `sha256sum` prints it.
struct SHA256Hasher {
    private var state = SHA256()

    mutating func update(_ data: Data) { state.update(data: data) }

    mutating func update(_ bytes: [UInt8]) { state.update(data: bytes) }

    mutating func update(_ bytes: UnsafeRawBufferPointer) { state.update(bufferPointer: bytes) }

    /// The digest of what was fed so far; the hasher can go on.
    func finalize() -> [UInt8] { Array(state.finalize()) }

    func finalizeHex() -> String { Self.hex(finalize()) }

    static func hash(_ data: Data) -> String {
        var hasher = SHA256Hasher()
        hasher.update(data)
        return hasher.finalizeHex()
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
