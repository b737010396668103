import ArgumentParser
import LoadOpsKit

/// `--engine` and the Locust engine's distributed flags, for `loadops run`.
struct EngineOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("What sends the load: builtin (default) or locust (or engine: in loadops.yml).", valueName: "engine"),
        transform: { text in
            guard let engine = LoadEngine(rawValue: text.lowercased()) else {
                throw ValidationError("expected builtin or locust, got \"\(text)\"")
            }
            return engine
        })
    var engine: LoadEngine?

    @Option(help: ArgumentHelp("Locust: a master and N worker processes on this machine.", valueName: "n"))
    var workers: Int?

    @Option(help: ArgumentHelp(
        "Locust: wait for N workers started on other machines (`loadops worker --master HOST:PORT`, printed before waiting).",
        valueName: "n"))
    var expectWorkers: Int?

    @Option(help: ArgumentHelp("Locust: where the master listens for workers (e.g. 0.0.0.0:5557).", valueName: "host:port"))
    var masterBind: String?

    func applied(to overrides: ConfigOverrides) -> ConfigOverrides {
        var overrides = overrides
        overrides.engine = engine
        return overrides
    }

    var locustOptions: LocustRunOptions {
        LocustRunOptions(localWorkers: workers ?? 0, expectedWorkers: expectWorkers ?? 0, masterBind: masterBind)
    }

    func validate() throws {
        if let workers, workers < 1 || workers > LocustRunOptions.maximumLocalWorkers {
            throw ValidationError("--workers: expected a whole number from 1 to \(LocustRunOptions.maximumLocalWorkers), got \(workers)")
        }
        if let expectWorkers, expectWorkers < 1 {
            throw ValidationError("--expect-workers: expected a whole number of 1 or more, got \(expectWorkers)")
        }
    }
}
