import Foundation

/// A baseline could not be written or listed.
public enum BaselineError: Error, CustomStringConvertible, Equatable, ExitStatusProviding {
    case invalidName(String)
    case exists(path: String)
    case writeFailed(path: String, reason: String)
    case missing(path: String)
    case incompleteRun(status: RunStatus)

    public var description: String {
        switch self {
        case .invalidName(let name):
            return "baseline name \"\(name)\" is not usable: use letters, digits, '.', '-' and '_' (e.g. baseline, release-2.4)"
        case .exists(let path):
            return "\(path) already exists: pass --force to replace it, or --name to write another baseline"
        case .writeFailed(let path, let reason):
            return "cannot write baseline \(path): \(reason)"
        case .missing(let path):
            return "no baseline at \(path): promote a run with `loadops baseline promote RUN|FILE`, or pass --baseline"
        case .incompleteRun(let status):
            return "the run is \(status.rawValue): its figures cover only part of the planned load, so it is a poor reference; "
                + "pass --force to promote it anyway"
        }
    }

    public var exitStatus: ExitStatus { .badInput }
}

/// One file of the baselines folder, for `loadops baseline list`.
public struct BaselineEntry: Sendable {
    public var name: String
    public var path: String
    /// The baseline, or why it cannot be read.
    public var document: Result<ResultsDocument, ResultsDocumentError>
}

/// `baselines/NAME.json`: results promoted to be the reference, in the `results.json` schema.
public enum BaselineStore {
    public static let defaultFolder = "baselines"
    public static let defaultName = "baseline"

    /// `baselines/baseline.json`, the baseline `compare` and the end of a run use when none is named.
    public static var defaultPath: String { "\(defaultFolder)/\(defaultName).json" }

    public static func path(name: String, folder: String) -> String {
        (folder as NSString).appendingPathComponent("\(name).json")
    }

    /// Writes `document` as `folder/NAME.json` atomically; an existing baseline is replaced, and an
    /// interrupted or aborted run promoted, only with `force`. Returns the path written.
    @discardableResult
    /// `Promoted run 12 to baselines/baseline.json (completed, success rate 99.50%, p95 12.30ms)`.
    public static func promotedLine(_ promoted: ResolvedResults, path: String) -> String {
        let document = promoted.document
        return "Promoted \(promoted.label) to \(path) (\(document.status.rawValue), success rate "
            + "\(ReportNumber.fixed(document.successRate, places: 2))%, p95 \(ReportNumber.fixed(document.p95Latency, places: 2))ms)"
    }

    public static func promote(_ document: ResultsDocument, name: String = defaultName, folder: String = defaultFolder,
                               force: Bool = false) throws(BaselineError) -> String {
        guard isValid(name: name) else { throw .invalidName(name) }
        guard document.status == .completed || force else { throw .incompleteRun(status: document.status) }
        let path = path(name: name, folder: folder)
        do {
            try AtomicFileWriter.createFolder(folder)
        } catch {
            throw .writeFailed(path: path, reason: error.reason)
        }
        let data: Data
        do {
            data = try document.encoded()
        } catch {
            throw .writeFailed(path: path, reason: "cannot encode the results as JSON (\(error))")
        }
        if force {
            do {
                try AtomicFileWriter.write(data, to: path)
            } catch {
                throw .writeFailed(path: path, reason: error.reason)
            }
            return path
        }
        let created: Bool
        do {
            created = try AtomicFileWriter.writeNew(data, to: path)
        } catch {
            throw .writeFailed(path: path, reason: error.reason)
        }
        guard created else { throw .exists(path: path) }
        return path
    }

    /// Names that stay inside the folder and list cleanly.
    static func isValid(name: String) -> Bool {
        guard !name.isEmpty, !name.hasPrefix("."), name.count <= 100 else { return false }
        return name.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || "._-".contains($0) }
    }

    /// Every `*.json` of the folder, by name; an absent folder has no baselines.
    public static func list(folder: String = defaultFolder) -> [BaselineEntry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().map { file in
            let path = (folder as NSString).appendingPathComponent(file)
            let document: Result<ResultsDocument, ResultsDocumentError>
            do throws(ResultsDocumentError) {
                document = .success(try ResultsDocument.load(from: path))
            } catch {
                document = .failure(error)
            }
            return BaselineEntry(name: String(file.dropLast(".json".count)), path: path, document: document)
        }
    }

    /// `loadops baseline list`: name, date, host, environment, success rate, p95.
    public static func renderList(_ entries: [BaselineEntry], folder: String) -> String {
        guard !entries.isEmpty else {
            return "No baselines in \(folder)/: promote a run with `loadops baseline promote RUN|FILE`.\n"
        }
        var table = TextTable(headers: ["Name", "Date", "Host", "Environment", "Status", "Success rate", "p95"], leftAligned: [0, 1, 2, 3, 4])
        var problems: [String] = []
        for entry in entries {
            switch entry.document {
            case .success(let document):
                table.add([entry.name, ResultsDocument.iso8601(fractional: false).string(from: document.startedAt),
                           document.host, document.environment ?? "-", document.status.rawValue,
                           ReportNumber.percent(document.successRate), ReportNumber.milliseconds(document.p95Latency)])
            case .failure(let error):
                table.add([entry.name, "(unreadable)", "", "", "", "", ""])
                problems.append("\(entry.name): \(error)")
            }
        }
        var lines = table.render()
        if !problems.isEmpty { lines += [""] + problems }
        return lines.joined(separator: "\n") + "\n"
    }
}
