import NIOSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// TLS failures in the words a person would use ("certificate verify failed: self-signed
/// certificate; for a test server, use --insecure"), for the console and load_test_failures.csv:
/// no library type names, error codes or source paths. Each reason is one of a few fixed texts,
/// so failures group under one kind per cause.
enum TLSFailureReason {
    static let insecureHint = "; for a test server, use --insecure"

    /// The reason for a TLS error, or nil when `error` is not one. `peerCertificate` is asked only
    /// when the server's certificate was refused, to say what is wrong with it.
    static func describe(_ error: any Error, peerCertificate: () -> NIOSSLCertificate?) -> String? {
        switch error {
        case let error as NIOSSLError:
            return describe(nioSSL: error, peerCertificate: peerCertificate)
        case let error as BoringSSLError:
            return describe(boringSSL: error, peerCertificate: peerCertificate)
        case let error as NIOSSLExtraError:
            return describe(extra: error)
        case is NIOSSLCloseTimedOutError:
            return "the server did not finish closing the TLS connection"
        default:
            return nil
        }
    }

    private static func describe(nioSSL error: NIOSSLError, peerCertificate: () -> NIOSSLCertificate?) -> String {
        switch error {
        case .handshakeFailed(let reason):
            return describe(boringSSL: reason, peerCertificate: peerCertificate)
        case .shutdownFailed:
            return "the TLS connection did not close cleanly"
        case .uncleanShutdown:
            return "the server closed the connection without ending TLS"
        case .noCertificateToValidate:
            return "certificate verify failed: the server sent no certificate"
        case .unableToValidateCertificate, .cannotMatchULabel, .cannotFindPeerIP:
            return "certificate verify failed: the certificate's host names could not be checked" + insecureHint
        case .failedToLoadCertificate, .failedToLoadPrivateKey, .noSuchFilesystemObject:
            return "a certificate or key could not be loaded"
        default:
            return "the TLS connection was used in a state that does not allow it"
        }
    }

    private static func describe(boringSSL error: BoringSSLError, peerCertificate: () -> NIOSSLCertificate?) -> String {
        switch error {
        case .sslError(let stack), .unknownError(let stack):
            return describe(stack: stack, peerCertificate: peerCertificate)
        case .invalidSNIName:
            return "the host name cannot be sent in the TLS handshake (server name indication)"
        case .zeroReturn, .syscallError:
            return closedDuringHandshake
        default:
            return "handshake failure"
        }
    }

    private static func describe(extra error: NIOSSLExtraError) -> String {
        switch error {
        case .failedToValidateHostname, .serverHostnameImpossibleToMatch:
            // The description ends "Couldn't find NAME in certificate from peer"; NAME is "<none>"
            // when the target is an IP address.
            let text = String(describing: error)
            var name = "the server's address"
            if let start = text.range(of: "find "),
               let end = text.range(of: " in certificate", range: start.upperBound..<text.endIndex),
               !text[start.upperBound..<end.lowerBound].hasPrefix("<") {
                name = String(text[start.upperBound..<end.lowerBound])
            }
            return "certificate verify failed: the certificate is not valid for \(name) (hostname mismatch)" + insecureHint
        case .invalidSNIHostname, .cannotUseIPAddressInSNI:
            return "the host name cannot be sent in the TLS handshake (server name indication)"
        default:
            return "TLS setup failed"
        }
    }

    private static let closedDuringHandshake = "the server closed the connection during the TLS handshake"

    /// BoringSSL's error stack: the first entry with a known reason decides.
    private static func describe(stack: NIOBoringSSLErrorStack, peerCertificate: () -> NIOSSLCertificate?) -> String {
        if stack.contains(.eofDuringHandshake) || stack.contains(.eofDuringAdditionalCertficiateChainValidation) {
            return closedDuringHandshake
        }
        let reasons = stack.compactMap { reasonName(String(describing: $0)) }
        for reason in reasons {
            if let text = describe(reasonName: reason, peerCertificate: peerCertificate) { return text }
        }
        guard let first = reasons.first else { return "handshake failure" }
        return "handshake failure: " + words(first)
    }

    /// The reason name in a BoringSSL error's description, `CERTIFICATE_VERIFY_FAILED` in
    /// "Error: 268435581 error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at FILE:LINE".
    static func reasonName(_ description: String) -> String? {
        let withoutPlace = description.range(of: " at ").map { description[..<$0.lowerBound] } ?? description[...]
        guard let colon = withoutPlace.lastIndex(of: ":") else { return nil }
        let name = withoutPlace[withoutPlace.index(after: colon)...]
        guard !name.isEmpty, name.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) else { return nil }
        return String(name)
    }

    private static func describe(reasonName reason: String, peerCertificate: () -> NIOSSLCertificate?) -> String? {
        switch reason {
        case "CERTIFICATE_VERIFY_FAILED":
            return "certificate verify failed: " + certificateProblem(peerCertificate(), now: time(nil)) + insecureHint
        case "WRONG_VERSION_NUMBER", "HTTP_REQUEST", "HTTPS_PROXY_REQUEST", "UNKNOWN_PROTOCOL", "PACKET_LENGTH_TOO_LONG",
             "ENCRYPTED_LENGTH_TOO_LONG", "RECORD_TOO_LARGE":
            return "the server does not answer with TLS on this port (if it serves plain HTTP, use http://)"
        case "UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION", "NO_SUPPORTED_VERSIONS_ENABLED":
            return "handshake failure: the server and loadops have no TLS version in common"
        case "NO_SHARED_CIPHER", "NO_CIPHERS_AVAILABLE", "NO_COMMON_SIGNATURE_ALGORITHMS", "TLSV1_ALERT_INSUFFICIENT_SECURITY":
            return "handshake failure: the server and loadops have no cipher in common"
        case "SSLV3_ALERT_HANDSHAKE_FAILURE":
            return "handshake failure: the server refused the handshake"
        case "TLSV1_ALERT_UNRECOGNIZED_NAME":
            return "handshake failure: the server does not know this host name"
        case "TLSV13_ALERT_CERTIFICATE_REQUIRED", "PEER_DID_NOT_RETURN_A_CERTIFICATE":
            return "handshake failure: the server asks for a client certificate"
        default:
            // An alert from the server: "TLSV1_ALERT_ACCESS_DENIED" reads "the server refused the
            // handshake (access denied)".
            for prefix in ["TLSV13_ALERT_", "TLSV1_ALERT_", "SSLV3_ALERT_"] where reason.hasPrefix(prefix) {
                return "handshake failure: the server refused the handshake (\(words(String(reason.dropFirst(prefix.count)))))"
            }
            return nil
        }
    }

    /// What is wrong with a certificate BoringSSL refused, as OpenSSL's verify messages put it.
    static func certificateProblem(_ certificate: NIOSSLCertificate?, now: time_t) -> String {
        guard let certificate else { return "the certificate is not trusted" }
        if let der = try? certificate.toDERBytes(), DERCertificate.isSelfIssued(der) { return "self-signed certificate" }
        if certificate.notValidAfter < now { return "certificate has expired" }
        if certificate.notValidBefore > now { return "certificate is not yet valid" }
        return "unable to get local issuer certificate (issued by an unknown certificate authority)"
    }

    /// "NO_SHARED_CIPHER" as "no shared cipher".
    private static func words(_ reason: String) -> String {
        reason.lowercased().replacingOccurrences(of: "_", with: " ")
    }
}

/// Just enough DER to compare a certificate's issuer with its subject.
enum DERCertificate {
    /// Whether the certificate names itself as its issuer (the issuer and subject Names are equal).
    static func isSelfIssued(_ der: [UInt8]) -> Bool {
        var outer = DERReader(der[...])
        guard let certificate = outer.next(tag: 0x30) else { return false }
        var certificateFields = DERReader(certificate)
        guard let toBeSigned = certificateFields.next(tag: 0x30) else { return false }
        var fields = DERReader(toBeSigned)
        // [0] version (optional), serial number, signature algorithm, issuer, validity, subject.
        if fields.peekTag == 0xA0 { _ = fields.next() }
        guard fields.next() != nil, fields.next() != nil, let issuer = fields.next(tag: 0x30),
              fields.next() != nil, let subject = fields.next(tag: 0x30) else { return false }
        return issuer.elementsEqual(subject)
    }

    /// Reads tag-length-value elements one after another; nil at the end or on anything malformed.
    private struct DERReader {
        private var bytes: ArraySlice<UInt8>

        init(_ bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
        }

        var peekTag: UInt8? { bytes.first }

        /// The next element's content, if its tag is `tag`.
        mutating func next(tag: UInt8) -> ArraySlice<UInt8>? {
            guard peekTag == tag else { return nil }
            return next()
        }

        /// The next element's content (single-byte tags, definite lengths of up to four bytes).
        mutating func next() -> ArraySlice<UInt8>? {
            var index = bytes.startIndex
            guard index < bytes.endIndex else { return nil }
            index += 1  // tag
            guard index < bytes.endIndex else { return nil }
            let first = bytes[index]
            index += 1
            var length = Int(first)
            if first & 0x80 != 0 {
                let count = Int(first & 0x7F)
                guard (1...4).contains(count), bytes.endIndex - index >= count else { return nil }
                length = 0
                for _ in 0..<count {
                    length = length << 8 | Int(bytes[index])
                    index += 1
                }
            }
            guard length <= bytes.endIndex - index else { return nil }
            let content = bytes[index..<(index + length)]
            bytes = bytes[(index + length)...]
            return content
        }
    }
}
