import Foundation

/// Why a request did not succeed. `httpStatus` is an answer outside the expected statuses.
public enum FailureKind: Hashable, Sendable {
    case timeout
    case connectionRefused
    case connectionReset
    case httpStatus(Int)
    case tls(String)
    /// The answer is not HTTP as loadops reads it (a status line and headers over 64 KiB, a bad chunk).
    case malformed(String)
    /// Sent, but still unanswered when the run ended (after its grace period for answers in flight).
    case unanswered
    /// A redirect that was not followed (to a host not allowed, too many in a row, ...).
    case redirect(String)
    /// A flow step's check failed: the check's name (Locust's `catch_response` failure message).
    case check(String)
    /// A flow step's extraction found nothing: what was looked for.
    case extraction(String)
    case other(String)

    /// Short machine-friendly kind, used as a key in `results.json`.
    public var kindName: String {
        switch self {
        case .timeout: return "timeout"
        case .connectionRefused: return "connection_refused"
        case .connectionReset: return "connection_reset"
        case .httpStatus(let code): return "http_\(code)"
        case .tls: return "tls"
        case .malformed: return "malformed"
        case .unanswered: return "no_response"
        case .redirect: return "redirect"
        case .check: return "check"
        case .extraction: return "extraction"
        case .other: return "other"
        }
    }

    /// Human-readable error text, Locust's `Error` column.
    public var message: String {
        switch self {
        case .timeout: return "Timeout: no response within the request timeout"
        case .connectionRefused: return "ConnectionRefusedError: connection refused"
        case .connectionReset: return "ConnectionResetError: connection reset by peer"
        case .httpStatus(let code): return "HTTPError: \(code) \(HTTPStatusText.reason(code))"
        case .tls(let detail): return "SSLError: \(detail)"
        case .malformed(let detail): return "MalformedResponse: \(detail)"
        case .unanswered: return "NoResponse: no response by the end of the run"
        case .redirect(let detail): return "RedirectError: \(detail)"
        case .check(let name): return name
        case .extraction(let detail): return "ExtractionError: \(detail)"
        case .other(let detail): return "Error: \(detail)"
        }
    }
}

public enum HTTPStatusText {
    public static func reason(_ code: Int) -> String {
        switch code {
        case 200: return "OK"
        case 201: return "Created"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 413: return "Payload Too Large"
        case 422: return "Unprocessable Entity"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return code >= 500 ? "Server Error" : (code >= 400 ? "Client Error" : "")
        }
    }
}
