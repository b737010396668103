import Foundation

/// A line chart over a run's time axis (seconds since the start), as one self-contained inline
/// `<svg>`: axes with ticks (time as mm:ss), a legend, shaded spans (`marks`: warnings, the abort),
/// horizontal reference lines (a baseline's p95), and an invisible hover layer whose `<title>`s give
/// every series' value at each point. No script, no external reference; every text is escaped.
/// The HTML report and the web UI draw their charts with it.
struct TimeChart {
    struct Series { var name: String; var points: [(x: Double, y: Double)]; var color: String; var dashed: Bool = false }
    struct Mark { var start: Double; var end: Double; var label: String }   // a shaded span on the time axis
    var title: String
    var unit: String            // "req/s", "ms", "users"
    var series: [Series]
    var marks: [Mark] = []
    var horizontalLines: [(y: Double, label: String)] = []   // e.g. the baseline's p95
    /// What the horizontal axis counts: seconds of a run (the default), or numbered items such as the
    /// runs of a trend (`x` is the index into the labels).
    var xAxis: XAxis = .elapsed

    enum XAxis {
        case elapsed
        case labelled([String])
    }

    /// The plot area's margins inside the picture: room for the title, the value labels, the time
    /// labels and the legend.
    private static let margin = (left: 58.0, right: 24.0, top: 26.0, bottom: 44.0)

    func svg(width: Int = 760, height: Int = 240) -> String {
        let plot = PlotArea(width: Double(width), height: Double(height), margin: Self.margin)
        let finiteSeries = series.map { entry in
            Series(name: entry.name, points: entry.points.filter { $0.x.isFinite && $0.y.isFinite },
                   color: entry.color, dashed: entry.dashed)
        }
        let xs = finiteSeries.flatMap { $0.points.map(\.x) }
        let ys = finiteSeries.flatMap { $0.points.map(\.y) } + horizontalLines.map(\.y).filter(\.isFinite)
        let xRange = xAxis.domain(xs)
        let yAxis = NiceAxis(low: min(0, ys.min() ?? 0), high: max(ys.max() ?? 1, 0))
        let x = { (value: Double) in plot.left + (value - xRange.low) / (xRange.high - xRange.low) * plot.width }
        let y = { (value: Double) in plot.bottom - (value - yAxis.low) / (yAxis.high - yAxis.low) * plot.height }

        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timechart\" viewBox=\"0 0 \(width) \(height)\" "
            + "width=\"\(width)\" height=\"\(height)\" role=\"img\" font-family=\"system-ui, -apple-system, Segoe UI, sans-serif\" "
            + "font-size=\"11\" data-title=\"\(HTMLText.escape(title))\">"
        svg += "<title>\(HTMLText.escape(unit.isEmpty ? title : "\(title) (\(unit))"))</title>"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#fff\"/>"
        svg += "<text x=\"\(Self.number(plot.left))\" y=\"16\" font-size=\"13\" font-weight=\"600\" fill=\"#222\">"
            + HTMLText.escape(title) + (unit.isEmpty ? "" : " <tspan fill=\"#666\" font-weight=\"400\">(\(HTMLText.escape(unit)))</tspan>")
            + "</text>"

        // Shaded spans first, under the grid and the lines.
        for mark in marks where mark.start.isFinite && mark.end.isFinite {
            let start = Swift.max(mark.start, xRange.low), end = Swift.min(Swift.max(mark.end, mark.start), xRange.high)
            guard end >= start else { continue }
            let left = x(start), spanWidth = Swift.max(x(end) - left, 2)
            svg += "<g class=\"mark\"><rect x=\"\(Self.number(left))\" y=\"\(Self.number(plot.top))\" width=\"\(Self.number(spanWidth))\" "
                + "height=\"\(Self.number(plot.height))\" fill=\"#f5a623\" fill-opacity=\"0.18\" stroke=\"#f5a623\" stroke-opacity=\"0.5\"/>"
            // Labelled inside the span when a few words fit; the title names it in any case.
            if let label = Self.shortened(mark.label, toFit: spanWidth - 4) {
                svg += "<text x=\"\(Self.number(left + 3))\" y=\"\(Self.number(plot.top + 11))\" font-size=\"10\" fill=\"#8a5a00\">"
                    + HTMLText.escape(label) + "</text>"
            }
            svg += "<title>\(HTMLText.escape("\(ReportNumber.clock(mark.start))–\(ReportNumber.clock(mark.end)) \(mark.label)"))</title></g>"
        }

        // Grid and value labels.
        svg += "<g class=\"axis\" stroke=\"#e4e4e4\" stroke-width=\"1\">"
        for tick in yAxis.ticks {
            svg += "<line x1=\"\(Self.number(plot.left))\" x2=\"\(Self.number(plot.right))\" y1=\"\(Self.number(y(tick)))\" y2=\"\(Self.number(y(tick)))\"/>"
        }
        svg += "</g><g fill=\"#555\" text-anchor=\"end\">"
        for tick in yAxis.ticks {
            svg += "<text x=\"\(Self.number(plot.left - 6))\" y=\"\(Self.number(y(tick) + 4))\">\(HTMLText.escape(Self.valueLabel(tick)))</text>"
        }
        svg += "</g><g fill=\"#555\" text-anchor=\"middle\">"
        for tick in xAxis.ticks(xRange) {
            svg += "<line x1=\"\(Self.number(x(tick)))\" x2=\"\(Self.number(x(tick)))\" y1=\"\(Self.number(plot.bottom))\" "
                + "y2=\"\(Self.number(plot.bottom + 4))\" stroke=\"#888\"/>"
                // A label at the right edge ends at its tick rather than past the picture.
                + "<text x=\"\(Self.number(x(tick)))\" y=\"\(Self.number(plot.bottom + 16))\""
                + (x(tick) > plot.right - 20 ? " text-anchor=\"end\"" : "") + ">\(HTMLText.escape(xAxis.label(tick)))</text>"
        }
        svg += "</g><line x1=\"\(Self.number(plot.left))\" x2=\"\(Self.number(plot.right))\" y1=\"\(Self.number(plot.bottom))\" "
            + "y2=\"\(Self.number(plot.bottom))\" stroke=\"#888\"/>"

        // Reference lines, then the series.
        for line in horizontalLines where line.y.isFinite {
            let level = y(line.y)
            svg += "<g class=\"reference\"><line x1=\"\(Self.number(plot.left))\" x2=\"\(Self.number(plot.right))\" "
                + "y1=\"\(Self.number(level))\" y2=\"\(Self.number(level))\" stroke=\"#c0392b\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\"/>"
                + "<text x=\"\(Self.number(plot.right - 4))\" y=\"\(Self.number(level - 4))\" text-anchor=\"end\" fill=\"#c0392b\">"
                + HTMLText.escape("\(line.label) \(Self.valueLabel(line.y))\(unit.isEmpty ? "" : " \(unit)")") + "</text></g>"
        }
        for entry in finiteSeries where !entry.points.isEmpty {
            let coordinates = entry.points.map { "\(Self.number(x($0.x))),\(Self.number(y($0.y)))" }.joined(separator: " ")
            svg += "<polyline class=\"series\" data-series=\"\(HTMLText.escape(entry.name))\" data-count=\"\(entry.points.count)\" "
                + "fill=\"none\" stroke=\"\(HTMLText.escape(entry.color))\" stroke-width=\"1.6\" stroke-linejoin=\"round\""
                + (entry.dashed ? " stroke-dasharray=\"5 3\"" : "") + " points=\"\(coordinates)\"/>"
            if entry.points.count == 1, let only = entry.points.first {
                svg += "<circle cx=\"\(Self.number(x(only.x)))\" cy=\"\(Self.number(y(only.y)))\" r=\"2.5\" fill=\"\(HTMLText.escape(entry.color))\"/>"
            }
        }
        if xs.isEmpty {
            svg += "<text x=\"\(Self.number(plot.left + plot.width / 2))\" y=\"\(Self.number(plot.top + plot.height / 2))\" "
                + "text-anchor=\"middle\" fill=\"#888\">no data</text>"
        }
        svg += hoverLayer(finiteSeries, plot: plot, x: x)
        svg += legend(finiteSeries, plot: plot, height: Double(height))
        return svg + "</svg>"
    }

    /// The most hover columns a chart gets: at 760 pixels, one every two or three pixels, finer than
    /// a pointer can tell apart; more would only weigh on the page.
    static let hoverColumnLimit = 300

    /// One transparent column per distinct time (every n-th of them past `hoverColumnLimit`), as wide as
    /// the space to its neighbours, titled with every series' value there: the browser's own tooltip
    /// shows them, without a script.
    private func hoverLayer(_ series: [Series], plot: PlotArea, x: (Double) -> Double) -> String {
        var valuesAt: [Double: [String]] = [:]
        for entry in series {
            for point in entry.points {
                valuesAt[point.x, default: []].append("\(entry.name) \(Self.valueLabel(point.y))")
            }
        }
        let allTimes = valuesAt.keys.sorted()
        let every = (allTimes.count + Self.hoverColumnLimit - 1) / Self.hoverColumnLimit
        let times = every > 1 ? stride(from: 0, to: allTimes.count, by: every).map { allTimes[$0] } : allTimes
        guard !times.isEmpty else { return "" }
        let suffix = unit.isEmpty ? "" : " \(unit)"
        var layer = "<g class=\"hover\" fill=\"#000\" fill-opacity=\"0\">"
        for (index, time) in times.enumerated() {
            let left = index == 0 ? plot.left : (x(times[index - 1]) + x(time)) / 2
            let right = index == times.count - 1 ? plot.right : (x(time) + x(times[index + 1])) / 2
            let text = xAxis.label(time) + "  " + (valuesAt[time] ?? []).joined(separator: ", ") + suffix
            layer += "<rect x=\"\(Self.number(left))\" y=\"\(Self.number(plot.top))\" width=\"\(Self.number(Swift.max(right - left, 0.5)))\" "
                + "height=\"\(Self.number(plot.height))\"><title>\(HTMLText.escape(text))</title></rect>"
        }
        return layer + "</g>"
    }

    private func legend(_ series: [Series], plot: PlotArea, height: Double) -> String {
        var legend = "<g class=\"legend\" fill=\"#333\">"
        var left = plot.left
        let baseline = height - 8
        for entry in series {
            legend += "<line x1=\"\(Self.number(left))\" x2=\"\(Self.number(left + 18))\" y1=\"\(Self.number(baseline - 4))\" "
                + "y2=\"\(Self.number(baseline - 4))\" stroke=\"\(HTMLText.escape(entry.color))\" stroke-width=\"2.5\""
                + (entry.dashed ? " stroke-dasharray=\"5 3\"" : "") + "/>"
                + "<text x=\"\(Self.number(left + 23))\" y=\"\(Self.number(baseline))\">\(HTMLText.escape(entry.name))</text>"
            left += 23 + Self.estimatedTextWidth(entry.name) + 18
        }
        return legend + "</g>"
    }

    // MARK: - Scales

    private struct PlotArea {
        var left: Double, right: Double, top: Double, bottom: Double
        var width: Double { right - left }
        var height: Double { bottom - top }

        init(width: Double, height: Double, margin: (left: Double, right: Double, top: Double, bottom: Double)) {
            left = margin.left
            right = Swift.max(width - margin.right, margin.left + 1)
            top = margin.top
            bottom = Swift.max(height - margin.bottom, margin.top + 1)
        }
    }

    /// The value axis: from a round number at or under `low` to one at or over `high`, about five ticks.
    private struct NiceAxis {
        var low: Double, high: Double, ticks: [Double]

        init(low rawLow: Double, high rawHigh: Double) {
            var span = rawHigh - rawLow
            if span <= 0 || !span.isFinite { span = Swift.max(abs(rawHigh), 1) }
            let step = NiceAxis.niceStep(span / 4)
            low = (rawLow / step).rounded(.down) * step
            high = Swift.max((rawHigh / step).rounded(.up) * step, low + step)
            var ticks: [Double] = []
            var tick = low
            while tick <= high + step / 2 && ticks.count < 12 {
                ticks.append(abs(tick) < step / 1e6 ? 0 : tick)
                tick += step
            }
            self.ticks = ticks
        }

        /// 1, 2, 2.5 or 5 times a power of ten, at least `rough`.
        static func niceStep(_ rough: Double) -> Double {
            guard rough > 0, rough.isFinite else { return 1 }
            let power = pow(10, (log10(rough)).rounded(.down))
            for factor in [1.0, 2, 2.5, 5, 10] where factor * power >= rough { return factor * power }
            return 10 * power
        }
    }

    // MARK: - Text

    /// A value for an axis or a tooltip: three figures, thousands as `k`, millions `M`, billions `G`.
    static func valueLabel(_ value: Double) -> String {
        let magnitude = abs(value)
        for (scale, suffix) in [(1e9, "G"), (1e6, "M"), (1e4, "k")] where magnitude >= scale {
            return ReportNumber.threeFigures(value / scale, trimmingZeros: true) + suffix
        }
        return magnitude < 10 && magnitude > 0 && magnitude < 0.01
            ? ReportNumber.decimal(value, places: 4)
            : ReportNumber.threeFigures(value, trimmingZeros: true)
    }

    /// A coordinate with one decimal at most, which keeps a chart of 600 points small.
    static func number(_ value: Double) -> String {
        ReportNumber.decimal(value.isFinite ? value : 0, places: 1)
    }

    private static func estimatedTextWidth(_ text: String) -> Double { Double(text.count) * 6.2 }

    /// `text`, cut with an ellipsis to fit `width` pixels of 10-pixel text; nil when not even eight characters fit.
    private static func shortened(_ text: String, toFit width: Double) -> String? {
        let characters = Int(width / 5.6)
        guard text.count > characters else { return text }
        return characters >= 8 ? String(text.prefix(characters - 1)) + "…" : nil
    }
}

extension TimeChart.XAxis {
    /// Elapsed time: from the first time (or 0, when the series start within their first minute) to
    /// the last. Labelled items: from the first to the last, half a step of room on each side.
    fileprivate func domain(_ xs: [Double]) -> (low: Double, high: Double) {
        switch self {
        case .elapsed:
            guard let first = xs.min(), let last = xs.max() else { return (0, 60) }
            let low = first >= 0 && first < 60 ? 0 : first
            return (low, last > low ? last : low + 1)
        case .labelled(let labels):
            return (-0.5, Double(max(labels.count, 1)) - 0.5)
        }
    }

    /// Round times (1 s … 1 day steps), five to eight of them; or at most eight of the labelled items.
    fileprivate func ticks(_ range: (low: Double, high: Double)) -> [Double] {
        switch self {
        case .elapsed:
            let steps: [Double] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400]
            let span = range.high - range.low
            let step = steps.first { span / $0 <= 8 } ?? (span / 8).rounded(.up)
            var ticks: [Double] = []
            var tick = (range.low / step).rounded(.up) * step
            while tick <= range.high + 1e-9 && ticks.count < 20 {
                ticks.append(tick)
                tick += step
            }
            return ticks
        case .labelled(let labels):
            let every = max((labels.count + 7) / 8, 1)
            return stride(from: 0, to: labels.count, by: every).map(Double.init)
        }
    }

    /// `mm:ss` (`h:mm:ss` from an hour on), or the item's label.
    fileprivate func label(_ x: Double) -> String {
        switch self {
        case .elapsed:
            return ReportNumber.clock(x)
        case .labelled(let labels):
            let index = Int(x.rounded())
            return labels.indices.contains(index) ? labels[index] : ""
        }
    }
}
