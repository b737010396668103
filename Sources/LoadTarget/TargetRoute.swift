import NIOHTTP1

/// The paths the target knows. The API routes follow the check-in API's load profile:
/// sessions, patient check-in and pre check-in, each addressed by a UUID. `/login` is a
/// route only with `--auth`; without it, it is echoed like any other unknown path.
enum TargetRoute: Int, CaseIterable {
    case health
    case stats
    case sessions
    case patientCheckin
    case preCheckin
    case echo
    case login

    var template: String {
        switch self {
        case .health: return "/health"
        case .stats: return "/__target/stats"
        case .sessions: return "/sessions/{id}"
        case .patientCheckin: return "/patient_checkin/{id}"
        case .preCheckin: return "/pre_checkin/{id}"
        case .echo: return "echo"
        case .login: return "/login"
        }
    }

    /// Control routes ignore the behaviour knobs.
    var isControl: Bool { self == .health || self == .stats }
}

/// GET and POST are counted apart; other methods share one counter per route.
enum TargetMethodClass: Int, CaseIterable {
    case get
    case post
    case other

    init(_ method: HTTPMethod) {
        switch method {
        case .GET: self = .get
        case .POST: self = .post
        default: self = .other
        }
    }

    var label: String {
        switch self {
        case .get: return "GET"
        case .post: return "POST"
        case .other: return "OTHER"
        }
    }
}

/// What the route itself would answer, before the behaviour knobs are applied.
enum RouteAnswer {
    case health
    case stats
    /// 200 with `{"id":…,"status":…}`.
    case resource(id: Substring, status: StaticString)
    /// 400: the id is not a UUID.
    case badID
    /// 405 on a known path.
    case methodNotAllowed
    /// 200 echoing method, path and body length.
    case echo

    // The answers below come only with session memory or `--auth` (see `TargetCore.flowAnswer`).

    /// 201 `{"id":…,"status":"created"}`; the session is remembered once the request is admitted.
    case createdSession(id: Substring, key: RememberedID)
    /// 404: the session was never created, or has been forgotten.
    case unknownSession
    /// 401: no `Authorization: Bearer` token this server handed out.
    case missingToken
    /// `POST /login` before its body is read; always replaced by one of the three below.
    case login
    /// 200 `{"token":…,"user":…}`; the token is made once the request is admitted.
    case loginAccepted(user: String)
    /// 401: no such user, or the wrong password.
    case loginRefused
    /// 400: the body is not a JSON object with a string `username` and `password`.
    case unreadableLogin

    var status: HTTPResponseStatus {
        switch self {
        case .health, .stats, .resource, .echo, .loginAccepted: return .ok
        case .createdSession: return .created
        case .badID, .unreadableLogin, .login: return .badRequest
        case .methodNotAllowed: return .methodNotAllowed
        case .unknownSession: return .notFound
        case .missingToken, .loginRefused: return .unauthorized
        }
    }
}

struct RoutedRequest {
    var route: TargetRoute
    var method: TargetMethodClass
    var answer: RouteAnswer

    private static let resources: [(prefix: String, route: TargetRoute, onGet: StaticString, onPost: StaticString)] = [
        ("/sessions/", .sessions, "authorized", "created"),
        ("/patient_checkin/", .patientCheckin, "eligible", "checked_in"),
        ("/pre_checkin/", .preCheckin, "ready", "completed"),
    ]

    /// Index into the per-route counters.
    var counterSlot: Int { route.rawValue * TargetMethodClass.allCases.count + method.rawValue }

    /// `routesLogin`: `/login` is a route (with `--auth`) rather than an echoed path.
    init(method httpMethod: HTTPMethod, uri: String, routesLogin: Bool = false) {
        let method = TargetMethodClass(httpMethod)
        self.method = method
        let path = Self.path(of: uri)

        if path == "/health" {
            route = .health
            answer = method == .get ? .health : .methodNotAllowed
            return
        }
        if path == "/__target/stats" {
            route = .stats
            answer = method == .get ? .stats : .methodNotAllowed
            return
        }
        if routesLogin, path == "/login" {
            route = .login
            answer = method == .post ? .login : .methodNotAllowed
            return
        }
        for resource in Self.resources where path.hasPrefix(resource.prefix) {
            route = resource.route
            let id = path.dropFirst(resource.prefix.count)
            switch method {
            case .other:
                answer = .methodNotAllowed
            case .get, .post:
                if isUUID(id) {
                    answer = .resource(id: id, status: method == .get ? resource.onGet : resource.onPost)
                } else {
                    answer = .badID
                }
            }
            return
        }
        route = .echo
        answer = .echo
    }

    /// The URI without its query or fragment.
    static func path(of uri: String) -> Substring {
        uri.prefix(while: { $0 != "?" && $0 != "#" })
    }
}

/// `8-4-4-4-12` hexadecimal digits, either case (what UUID().uuidString and most clients send).
func isUUID(_ text: Substring) -> Bool {
    let bytes = text.utf8
    guard bytes.count == 36 else { return false }
    for (offset, byte) in bytes.enumerated() {
        switch offset {
        case 8, 13, 18, 23:
            guard byte == UInt8(ascii: "-") else { return false }
        default:
            let isHex =
                (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
            guard isHex else { return false }
        }
    }
    return true
}
