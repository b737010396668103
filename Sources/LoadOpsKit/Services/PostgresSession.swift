import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// One PostgreSQL connection over the real protocol (postgres-nio), for the preflight probe and
/// the cleanup's SQL steps. Opened and closed around a closure so no connection outlives its use.
struct PostgresSession {
    let connection: PostgresConnection
    let endpoint: ServiceEndpoint
    let logger: Logger

    /// What `SELECT 1` plus the server's settings tell about its readiness.
    struct Probe: Sendable, Equatable {
        var serverVersion: String
        var connections: Int
        var maxConnections: Int
        var headroom: Int { maxConnections - connections }
    }

    /// Result of one statement: the command tag (`DELETE`, `TRUNCATE TABLE`, `VACUUM`) and, where
    /// the server reports one, the number of rows affected.
    struct StatementResult: Sendable, Equatable {
        var command: String
        var rows: Int?
    }

    static func withSession<T: Sendable>(
        _ endpoint: ServiceEndpoint, connectTimeout: Double, _ body: (PostgresSession) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "loadops.postgres")
        // postgres-nio logs its own failures; loadops reports them once, in its own words.
        logger.logLevel = .critical
        let tls: PostgresConnection.Configuration.TLS
        if endpoint.requireTLS {
            do {
                tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            } catch {
                throw ServiceError("cannot set up TLS for \(endpoint.address): \(error)")
            }
        } else {
            tls = .disable
        }
        let user = endpoint.user ?? "postgres"
        var configuration = PostgresConnection.Configuration(
            host: endpoint.host, port: endpoint.port, username: user, password: endpoint.password,
            database: endpoint.database ?? user, tls: tls)
        configuration.options.connectTimeout = .milliseconds(Int64(max(connectTimeout, 0.1) * 1000))

        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch {
            throw endpoint.loginFailure(ServiceError.describing(error, address: endpoint.address))
        }
        let session = PostgresSession(connection: connection, endpoint: endpoint, logger: logger)
        do {
            // postgres-nio does not give up a query when its task is cancelled; closing the
            // connection does, so a timeout or Ctrl-C never waits on a stalled server.
            let result = try await withTaskCancellationHandler {
                try await body(session)
            } onCancel: {
                connection.close().whenComplete { _ in }
            }
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    func probe() async throws -> Probe {
        do {
            let rows = try await connection.query(
                """
                SELECT 1::int8, current_setting('server_version'), (SELECT count(*) FROM pg_stat_activity)::int8,
                       current_setting('max_connections')::int8
                """, logger: logger)
            for try await (one, version, connections, maxConnections) in rows.decode((Int, String, Int, Int).self) {
                guard one == 1 else { break }
                return Probe(serverVersion: version, connections: connections, maxConnections: maxConnections)
            }
            throw ServiceError("SELECT 1 returned no row (\(endpoint.address))")
        } catch {
            throw ServiceError.describing(error, address: endpoint.address)
        }
    }

    /// What the monitor watches: the connections per database against `max_connections` (the
    /// operations guide's `pg_stat_activity` query), connections waiting on locks, and the age of
    /// the longest running query. Client connections only, not counting this session's own.
    struct Activity: Sendable, Equatable {
        var maxConnections: Int
        /// Per database, by name (`(none)` for connections not bound to one).
        var connectionsByDatabase: [String: Int]
        var lockWaits: Int
        var longestQuerySeconds: Double
        var connections: Int { connectionsByDatabase.values.reduce(0, +) }
    }

    func activity() async throws -> Activity {
        do {
            var activity = Activity(maxConnections: 0, connectionsByDatabase: [:], lockWaits: 0, longestQuerySeconds: 0)
            let totals = try await connection.query(
                """
                SELECT current_setting('max_connections')::int8,
                       count(*) FILTER (WHERE wait_event_type = 'Lock')::int8,
                       coalesce(max(extract(epoch FROM now() - query_start)) FILTER (WHERE state = 'active'), 0)::float8
                FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
                """, logger: logger)
            for try await (maxConnections, lockWaits, longest) in totals.decode((Int, Int, Double).self) {
                activity.maxConnections = maxConnections
                activity.lockWaits = lockWaits
                activity.longestQuerySeconds = max(0, longest)
            }
            let perDatabase = try await connection.query(
                """
                SELECT coalesce(datname, '(none)'), count(*)::int8 FROM pg_stat_activity
                WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY 1
                """, logger: logger)
            for try await (database, count) in perDatabase.decode((String, Int).self) {
                activity.connectionsByDatabase[database] = count
            }
            return activity
        } catch {
            throw ServiceError.describing(error, address: endpoint.address)
        }
    }

    /// Runs one statement as written (no parameters) and reports what the server says it did.
    func execute(_ sql: String) async throws -> StatementResult {
        do {
            let result = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).get()
            return StatementResult(command: result.metadata.command, rows: result.metadata.rows)
        } catch {
            throw ServiceError.describing(error, address: endpoint.address)
        }
    }

    /// The first column of the first row as a whole number (`SELECT count(*) ...`).
    func count(_ sql: String) async throws -> Int {
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            for try await value in rows.decode(Int.self) { return value }
            return 0
        } catch {
            throw ServiceError.describing(error, address: endpoint.address)
        }
    }
}
