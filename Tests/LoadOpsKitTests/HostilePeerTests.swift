import Foundation
import NIOCore
import NIOSSL
import Testing
@testable import LoadOpsKit

#if canImport(Glibc)
import Glibc
#endif

/// The generator against servers that misbehave: an endless header line, TLS without
/// close_notify, certificates it must refuse, all over real loopback sockets.
@Suite(.serialized) struct HostileHTTPPeerTests {
    private func closedLoad(users: Int, seconds: Double) -> LoadSettings {
        LoadSettings(model: .closed, users: users, spawnRate: 100, duration: seconds)
    }

    /// A server that answers `HTTP/1.1 200 OK\r\nX: ` and then megabytes with no line feed. Each
    /// answer must end as malformed once its head passes 64 KiB, the connection closed, the run
    /// ending on time and the process's memory staying where it was.
    @Test func anEndlessHeaderLineIsMalformedAndBounded() async throws {
        let filler = [UInt8](repeating: UInt8(ascii: "a"), count: 64 * 1024)
        let server = try ScriptedTCPServer { fd, server in
            guard ScriptedTCPServer.read(fd, until: "\r\n\r\n") else { return }
            guard ScriptedTCPServer.send(fd, Array("HTTP/1.1 200 OK\r\nX: ".utf8)) else { return }
            // Up to 256 MiB per connection; the client is expected to hang up long before.
            for _ in 0..<4096 where !server.isStopping {
                guard ScriptedTCPServer.send(fd, filler) else { return }
            }
        }
        let baseline = residentBytes()
        let sampler = Task {
            var peak = 0
            while !Task.isCancelled {
                peak = max(peak, residentBytes())
                try? await Task.sleep(for: .milliseconds(20))
            }
            return peak
        }
        let started = Date()
        let outcome = try await stopping({ sampler.cancel(); await server.stop() }) {
            try await LoadGenerator.run(
                plan: LoadPlan(target: TargetAddress(useTLS: false, host: "127.0.0.1", port: server.port),
                               endpoints: [EndpointConfig(path: "/")], load: closedLoad(users: 2, seconds: 2)),
                stop: StopSignal())
        }
        let elapsed = Date().timeIntervalSince(started)
        let peak = await sampler.value

        let statistics = outcome.endpoints[0]
        let malformed = statistics.failuresByKind[.malformed("status line and headers longer than 64 KiB")] ?? 0
        print("endless header line: \(statistics.requests) requests, \(malformed) malformed in \(String(format: "%.2f", elapsed)) s; "
              + "resident memory \(baseline / 1_048_576) MiB before, peak \(peak / 1_048_576) MiB")
        #expect(elapsed < 6, "a 2 s run took \(elapsed) s")
        #expect(malformed >= 10, "\(statistics.failuresByKind)")
        #expect(statistics.failures == statistics.requests)
        // Two users each holding at most 64 KiB of head (plus a read) cannot move the process's memory
        // by tens of MiB; buffering what the server sends would (it sends that much every few ms).
        #expect(peak - baseline < 32 * 1_048_576, "resident memory grew from \(baseline) to \(peak) bytes")
    }

    /// An HTTPS answer delimited by the close, from a server that closes TCP without TLS's
    /// close_notify: every such answer is a success, none a TLS failure.
    @Test func closeDelimitedHTTPSAnswerWithoutCloseNotifyIsASuccess() async throws {
        let certificates = try await TestCertificates.make()
        defer { certificates.remove() }
        let server = try UncleanTLSServer(
            certificate: certificates.selfSignedCertificate, key: certificates.selfSignedKey,
            response: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nthe body ends where the connection does\n")
        let outcome = try await stopping(server.stop) {
            try await LoadGenerator.run(
                plan: LoadPlan(target: TargetAddress(useTLS: true, host: "127.0.0.1", port: server.port),
                               endpoints: [EndpointConfig(path: "/")], load: closedLoad(users: 2, seconds: 1), insecure: true),
                stop: StopSignal())
        }
        let statistics = outcome.endpoints[0]
        #expect(statistics.requests > 20)
        #expect(statistics.failures == 0, "\(statistics.failuresByKind)")
        #expect(statistics.contentBytes == statistics.requests * 40)
    }

    /// Without --insecure, a certificate from an authority nobody trusts is refused, and the reason
    /// says so in words.
    @Test func anUntrustedAuthorityIsNamedInWords() async throws {
        let certificates = try await TestCertificates.make()
        defer { certificates.remove() }
        let server = try UncleanTLSServer(
            certificate: certificates.leafCertificate, key: certificates.leafKey,
            response: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        let outcome = try await stopping(server.stop) {
            try await LoadGenerator.run(
                plan: LoadPlan(target: TargetAddress(useTLS: true, host: "127.0.0.1", port: server.port),
                               endpoints: [EndpointConfig(path: "/")], load: closedLoad(users: 1, seconds: 0.5)),
                stop: StopSignal())
        }
        let statistics = outcome.endpoints[0]
        #expect(statistics.requests > 0)
        let expected = FailureKind.tls("certificate verify failed: unable to get local issuer certificate "
                                       + "(issued by an unknown certificate authority); for a test server, use --insecure")
        #expect(statistics.failuresByKind == [expected: statistics.requests], "\(statistics.failuresByKind)")
    }

    /// What the certificate check says for expired and not-yet-valid certificates, host names that do
    /// not match, and the reason names in BoringSSL's error descriptions.
    @Test func certificateProblemsInWords() async throws {
        let certificates = try await TestCertificates.make()
        defer { certificates.remove() }
        let leaf = try #require(try NIOSSLCertificate.fromPEMFile(certificates.leafCertificate).first)
        let selfSigned = try #require(try NIOSSLCertificate.fromPEMFile(certificates.selfSignedCertificate).first)
        let now = time(nil)
        #expect(TLSFailureReason.certificateProblem(selfSigned, now: now) == "self-signed certificate")
        #expect(TLSFailureReason.certificateProblem(leaf, now: now + 10 * 86_400) == "certificate has expired")
        #expect(TLSFailureReason.certificateProblem(leaf, now: now - 10 * 86_400) == "certificate is not yet valid")
        #expect(TLSFailureReason.certificateProblem(nil, now: now) == "the certificate is not trusted")

        #expect(FailureClassifier.classify(NIOSSLExtraError.failedToValidateHostname)
            == .tls("certificate verify failed: the certificate is not valid for the server's address (hostname mismatch); "
                    + "for a test server, use --insecure"))
        #expect(FailureClassifier.classify(NIOSSLError.handshakeFailed(.sslError([.eofDuringHandshake])))
            == .tls("the server closed the connection during the TLS handshake"))
        let description = "Error: 268435581 error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at "
            + "/work/main/.build/checkouts/swift-nio-ssl/Sources/CNIOBoringSSL/ssl/handshake.cc:320"
        #expect(TLSFailureReason.reasonName(description) == "CERTIFICATE_VERIFY_FAILED")
        #expect(TLSFailureReason.reasonName("Error:  EOF during handshake") == nil)
    }
}

/// `loadops run` against a self-signed nginx without --insecure: the failure reads as a person
/// would write it, on the console and in load_test_failures.csv.
@Suite(.serialized) struct TLSFailureWordingTests {
    @Test func aSelfSignedCertificateIsExplainedWithoutLibraryNames() async throws {
        let nginx = try NginxServer(tls: true)
        let folder = try TestSupport.temporaryDirectory("loadops-tls-wording")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try await stopping(nginx.stop) {
            try await nginx.waitUntilReady()
            let tlsPort = try #require(nginx.tlsPort)
            return try await ChildProcess.run(
                TestSupport.binary, ["run", "--host", "https://127.0.0.1:\(tlsPort)", "--users", "2", "--duration", "2s", "--no-history"],
                directory: folder)
        }

        let reason = "certificate verify failed: self-signed certificate; for a test server, use --insecure"
        #expect(result.stdout.contains(reason), "\(result.stdout)")
        let csv = try String(contentsOfFile: folder + "/load_test_reports/load_test_failures.csv", encoding: .utf8)
        let rows = csv.split(whereSeparator: \.isNewline).dropFirst()
        #expect(rows.count == 1, "\(csv)")
        // Quoted: the reason holds a comma.
        #expect(rows.first?.hasPrefix("GET,/,\"SSLError: \(reason)\",") == true, "\(csv)")
        for text in [result.stdout, csv] {
            for leak in ["NIOSSL", "BoringSSL", "handshakeFailed", "OPENSSL_internal", ".build", "handshake.cc", "268435581"] {
                #expect(!text.contains(leak), "\(leak) in \(text)")
            }
        }
    }
}

/// Preflight and cleanup against a server that speaks Redis badly: each hostile reply is a failed
/// check with a clear message, never a crash.
@Suite(.serialized) struct HostileRedisPeerTests {
    /// A Redis stand-in that answers the first command with `reply` and then holds the line.
    private func hostileRedis(_ reply: [UInt8]) throws -> ScriptedTCPServer {
        try ScriptedTCPServer { fd, server in
            guard ScriptedTCPServer.read(fd, until: "\r\n"), ScriptedTCPServer.send(fd, reply) else { return }
            var scratch = [UInt8](repeating: 0, count: 4096)
            while !server.isStopping, recv(fd, &scratch, scratch.count, 0) > 0 {}
        }
    }

    @Test(arguments: [
        ("$9223372036854775807\r\n", "the reply is larger than 16 MiB"),
        ("*9223372036854775807\r\n", "the reply is larger than 16 MiB"),
        ("$-7\r\n", "the length of a bulk string is negative"),
        ("$3\r\nPONGPONG\r\n", "a bulk string is longer than its stated length"),
        (":99999999999999999999999\r\n", "an integer reply is not a number"),
        ("SSH-2.0-OpenSSH_9.2\r\n", "unexpected byte 0x53 where a reply should start"),
        (String(repeating: "*1\r\n", count: 1_000_000), "arrays nested more than 32 deep"),
    ])
    func preflightFailsTheCheckWithTheReason(reply: String, reason: String) async throws {
        let server = try hostileRedis(Array(reply.utf8))
        let folder = try TestSupport.temporaryDirectory("loadops-hostile-redis")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try await stopping(server.stop) {
            try "- kind: redis\n  url: redis://127.0.0.1:\(server.port)\n  timeout: 5s\n"
                .write(toFile: folder + "/preflight.yml", atomically: true, encoding: .utf8)
            return try await ChildProcess.run(TestSupport.binary, ["preflight", "--checklist", "preflight.yml"], directory: folder, timeout: 30)
        }
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let expected = "Redis is not responding: the server's reply to PING is not Redis protocol: \(reason) (127.0.0.1:\(server.port))"
        #expect(result.stdout.contains(expected), "\(result.stdout)\(result.stderr)")
    }

    @Test func cleanupFailsTheFlushStepWithTheReason() async throws {
        let server = try hostileRedis(Array("*9223372036854775807\r\n".utf8))
        let folder = try TestSupport.temporaryDirectory("loadops-hostile-redis-cleanup")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try await stopping(server.stop) {
            try FileManager.default.createDirectory(atPath: folder + "/checklists", withIntermediateDirectories: true)
            try "- name: Clear Redis cache\n  kind: redis-flush\n  url: redis://127.0.0.1:\(server.port)\n"
                .write(toFile: folder + "/checklists/cleanup.yml", atomically: true, encoding: .utf8)
            try "output: load_test_reports\n".write(toFile: folder + "/loadops.yml", atomically: true, encoding: .utf8)
            return try await ChildProcess.run(TestSupport.binary, ["cleanup", "--yes"], directory: folder, timeout: 30)
        }
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("the server's reply to DBSIZE is not Redis protocol: the reply is larger than 16 MiB"),
                "\(result.stdout)\(result.stderr)")
    }
}
