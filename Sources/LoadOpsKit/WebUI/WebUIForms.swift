import Foundation

/// A value from the page that cannot be used: `users: expected a whole number, got "ten"`.
struct WebUIFormError: Error, CustomStringConvertible {
    var field: String
    var message: String

    var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

/// The Start form, as the page posts it (JSON). Only the fields the user changed are sent; the rest
/// come from loadops.yml and the environment, exactly as `loadops run`'s flags override them.
struct WebUIStartForm: Decodable, Sendable {
    var host: String?
    var model: String?
    var users: String?
    var spawnRate: String?
    var duration: String?
    var rate: String?

    enum CodingKeys: String, CodingKey {
        case host, model, users, duration, rate
        case spawnRate = "spawn_rate"
    }

    func overrides() throws(WebUIFormError) -> ConfigOverrides {
        var overrides = ConfigOverrides()
        overrides.host = Self.given(host)
        if let model = Self.given(model) {
            guard let known = LoadModel(rawValue: model.lowercased()) else {
                throw WebUIFormError(field: "model", message: "expected closed or open, got \"\(model)\"")
            }
            overrides.model = known
        }
        if let users = Self.given(users) {
            guard let count = Int(users) else {
                throw WebUIFormError(field: "users", message: "expected a whole number, got \"\(users)\"")
            }
            overrides.usersMax = count
        }
        if let spawnRate = Self.given(spawnRate) {
            guard let perSecond = DecimalNumber.parse(spawnRate) else {
                throw WebUIFormError(field: "spawn rate", message: "expected a number of users per second, got \"\(spawnRate)\"")
            }
            overrides.spawnRate = perSecond
        }
        overrides.duration = Self.given(duration)
        overrides.rate = Self.given(rate)
        return overrides
    }

    /// A field left empty is not given.
    static func given(_ value: String?) -> String? {
        guard let trimmed = value?.trimmingCharacters(in: .whitespaces), !trimmed.isEmpty else { return nil }
        return trimmed
    }
}

/// The change of a running load: users (closed model) or the total rate (open model).
struct WebUIChangeForm: Decodable, Sendable {
    var users: String?
    var rate: String?

    func userCount() throws(WebUIFormError) -> Int {
        guard let text = WebUIStartForm.given(users) else {
            throw WebUIFormError(field: "users", message: "give the number of users to run from now on")
        }
        guard let count = Int(text), (1...LoadLimits.maximumUsers).contains(count) else {
            throw WebUIFormError(field: "users", message: "expected a whole number from 1 to \(LoadLimits.maximumUsers), got \"\(text)\"")
        }
        // Every user holds a connection, which is a file descriptor.
        let files = OpenFileLimit.raiseToHardLimit()
        guard count + 64 <= files else {
            throw WebUIFormError(field: "users", message: "at most \(files - 64) users on this machine (its open-file limit is \(files))")
        }
        return count
    }

    func perSecondRate() throws(WebUIFormError) -> Double {
        guard let text = WebUIStartForm.given(rate) else {
            throw WebUIFormError(field: "rate", message: "give the total rate to send from now on, such as 50/s or 3005/min")
        }
        let perSecond: Double
        do {
            perSecond = try RateParser.perSecond(from: text)
        } catch {
            throw WebUIFormError(field: "rate", message: error.description)
        }
        guard perSecond > 0, perSecond <= LoadLimits.maximumRate else {
            throw WebUIFormError(field: "rate", message: "expected a rate above 0 and at most \(RateParser.format(LoadLimits.maximumRate)), got \"\(text)\"")
        }
        return perSecond
    }
}

/// The Start form's values before anyone types: loadops.yml with the environment, secrets masked.
struct WebUIFormDefaults: Sendable {
    var host = ""
    var model = LoadModel.closed
    var users = ""
    var spawnRate = ""
    var duration = ""
    var rate = ""
    /// loadops.yml's `stages`, which a changed users, rate or duration replaces with a flat run.
    var stageCount = 0
    /// Why loadops.yml could not be read, when it could not.
    var problem: String?

    static func load(_ settings: WebUISettings) -> WebUIFormDefaults {
        var defaults = WebUIFormDefaults()
        let config: LoadOpsConfig
        do {
            config = try ConfigLoader.load(path: settings.configPath, environment: settings.environment,
                                           workingDirectory: settings.workingDirectory)
        } catch {
            defaults.problem = String(describing: error)
            return defaults
        }
        let load = config.load
        defaults.host = config.redacted().host
        defaults.model = load.model
        defaults.users = String(load.users)
        defaults.spawnRate = DecimalNumber.format(load.spawnRate)
        defaults.duration = DurationParser.format(load.plannedDuration)
        let total = LoadPlan.openModelRates(endpoints: config.endpoints, load: load).reduce(0, +)
        defaults.rate = load.rate.map(RateParser.format) ?? (total > 0 ? RateParser.format(total) : "")
        defaults.stageCount = load.stages.count
        return defaults
    }
}
