/// The web UI's one page, its script and its styles. The page is rendered with the Start form's
/// values (escaped); everything live arrives as JSON over `/events` and is put in as text.
enum WebUIPage {
    static func html(defaults: WebUIFormDefaults, address: ListenAddress) -> String {
        let e = HTMLText.escape
        let problem = defaults.problem.map { "<p class=\"error\" id=\"config-problem\">loadops.yml: \(e($0))</p>" } ?? ""
        let stages = defaults.stageCount == 0 ? "" : " loadops.yml has \(defaults.stageCount) stage\(defaults.stageCount == 1 ? "" : "s"): "
            + "changing the users, the rate or the duration replaces them with a flat run."
        func field(_ label: String, _ name: String, _ value: String, hint: String = "", only: String = "") -> String {
            "<label\(only.isEmpty ? "" : " class=\"\(only)-only\"")><span>\(label)</span>"
                + "<input name=\"\(name)\" id=\"f-\(name)\" value=\"\(e(value))\" data-initial=\"\(e(value))\" autocomplete=\"off\""
                + (hint.isEmpty ? "" : " placeholder=\"\(e(hint))\"") + "></label>"
        }
        let model = defaults.model.rawValue
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>loadops · \(e(address.authority))</title>
            <link rel="stylesheet" href="/ui.css">
            <link rel="icon" href="data:,">
            </head>
            <body data-phase="idle" data-model="\(model)">
            <header>
              <div class="brand">loadops</div>
              <div class="stat wide"><span class="label">Host</span><span id="s-host">\(e(defaults.host))</span></div>
              <div class="stat"><span class="label">Status</span><span id="s-phase">ready</span></div>
              <div class="stat"><span class="label" id="s-users-label">users</span><span id="s-users">0</span></div>
              <div class="stat"><span class="label" id="s-rps-label">RPS</span><span id="s-rps">0.0</span></div>
              <div class="stat"><span class="label">Requests</span><span id="s-requests">0</span></div>
              <div class="stat"><span class="label">Failures</span><span id="s-failures">0%</span></div>
              <div class="stat"><span class="label">Elapsed</span><span id="s-elapsed">00:00</span></div>
              <button id="stop" type="button" disabled>Stop</button>
            </header>
            <main>
            <div class="top">
            <section class="card" id="outcome">
              <h2>Verdict: <span id="verdict"></span></h2>
              <p id="outcome-status"></p>
              <ul id="reasons"></ul>
              <ul id="thresholds"></ul>
              <div id="comparison-block"><h3>Comparison with the baseline</h3><pre id="comparison"></pre></div>
              <p id="links"></p>
            </section>
            <section class="card" id="start-panel">
              <h2>Start a load test</h2>
              \(problem)
              <form id="start-form">
                \(field("Host", "host", defaults.host))
                <label><span>Model</span><select name="model" id="f-model" data-initial="\(model)">
                  <option value="closed"\(model == "closed" ? " selected" : "")>closed: users</option>
                  <option value="open"\(model == "open" ? " selected" : "")>open: arrival rate</option>
                </select></label>
                \(field("Users", "users", defaults.users, only: "closed"))
                \(field("Spawn rate (users/s)", "spawn_rate", defaults.spawnRate, only: "closed"))
                \(field("Rate", "rate", defaults.rate, hint: "50/s, 3005/min", only: "open"))
                \(field("Duration", "duration", defaults.duration, hint: "30s, 10m, 1h30m"))
                <button type="submit" id="start">Start</button>
              </form>
              <p class="hint">Settings left as they are come from loadops.yml and the environment, as for <code>loadops run</code>; the run writes the same results, history, thresholds, comparison and summary.\(e(stages))</p>
              <p class="error" id="form-error"></p>
            </section>
            <section class="card" id="change-panel">
              <h2>Change the running load</h2>
              <form id="change-form">
                <label><span id="change-label">Users</span><input id="change-value" autocomplete="off"></label>
                <button type="submit" id="change">Apply</button>
              </form>
              <p class="error" id="change-error"></p>
              <ul id="changes"></ul>
            </section>
            <section class="card" id="run-error"><h2>The run could not start</h2><p class="error" id="run-error-text"></p></section>
            <section class="card warn" id="warnings-panel"><h2>Warnings</h2><ul id="warnings"></ul></section>
            </div>
            <section class="card">
              <h2>Statistics <small id="stats-note"></small></h2>
              <table id="stats">
                <thead><tr><th>Method</th><th>Name</th><th># Requests</th><th># Fails</th><th>RPS</th><th>p50</th><th>p95</th><th>p99</th></tr></thead>
                <tbody></tbody>
              </table>
            </section>
            <section id="charts"></section>
            </main>
            <script src="/ui.js"></script>
            </body>
            </html>

            """
    }

    /// What a request without the token sees: where to find it, and nothing else.
    static let tokenNeeded = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>loadops ui: token needed</title></head>
        <body><h1>loadops ui</h1>
        <p>This page needs the token that <code>loadops ui</code> printed when it started: open the address it
        printed (<code>http://…/?token=…</code>), from the same browser.</p></body></html>

        """

    static let script = #"""
        "use strict";
        const $ = (id) => document.getElementById(id);
        const startForm = $("start-form");
        let current = null;
        const phaseText = { idle: "ready", starting: "starting", running: "running", finishing: "writing results",
                            finished: "finished", failed: "failed" };

        function text(tag, value, className) {
          const element = document.createElement(tag);
          element.textContent = value;
          if (className) element.className = className;
          return element;
        }

        async function post(path, body) {
          const response = await fetch(path, { method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
          const answer = await response.json().catch(() => ({ error: response.status + " " + response.statusText }));
          if (!response.ok) throw new Error(answer.error || response.statusText);
          return answer;
        }

        // Only what the user changed is sent: the rest stays loadops.yml's (its stages among them).
        function changedFields() {
          const fields = {};
          for (const element of startForm.elements) {
            if (element.name && element.value !== element.dataset.initial) fields[element.name] = element.value;
          }
          return fields;
        }

        startForm.addEventListener("submit", async (event) => {
          event.preventDefault();
          $("form-error").textContent = "";
          try { render(await post("/api/start", changedFields())); }
          catch (error) { $("form-error").textContent = error.message; }
        });

        $("f-model").addEventListener("change", () => { document.body.dataset.model = $("f-model").value; });

        $("stop").addEventListener("click", async () => {
          try { render(await post("/api/stop", {})); }
          catch (error) { $("change-error").textContent = error.message; }
        });

        $("change-form").addEventListener("submit", async (event) => {
          event.preventDefault();
          $("change-error").textContent = "";
          const value = $("change-value").value;
          try {
            render(await post("/api/change", current && current.model === "open" ? { rate: value } : { users: value }));
            $("change-value").value = "";
          } catch (error) { $("change-error").textContent = error.message; }
        });

        function render(view) {
          const previousPhase = current ? current.phase : null;
          current = view;
          const body = document.body;
          body.dataset.phase = view.phase;
          if (view.model) body.dataset.model = view.model;
          const active = ["starting", "running", "finishing"].includes(view.phase);
          $("s-phase").textContent = phaseText[view.phase] || view.phase;
          if (view.host) $("s-host").textContent = view.host;
          const ended = view.outcome ? "Peak " : "";
          $("s-users-label").textContent = ended + (view.model === "open" ? "connections" : "users");
          $("s-rps-label").textContent = view.outcome ? "RPS (whole run)" : "RPS";
          $("s-users").textContent = view.users;
          $("s-rps").textContent = view.targetRate ? view.rps + " of " + view.targetRate : view.rps;
          $("s-requests").textContent = view.totalRequests;
          $("s-failures").textContent = view.failureRate;
          $("s-elapsed").textContent = view.planned && view.planned !== "00:00" && active
            ? view.elapsed + " / " + view.planned : view.elapsed;
          $("stop").disabled = !["starting", "running"].includes(view.phase);
          $("start").disabled = active;
          $("change-label").textContent = view.model === "open" ? "Total rate (50/s, 3005/min)" : "Users";
          if (view.phase === "running" && previousPhase !== "running") $("change-error").textContent = "";

          $("changes").replaceChildren(...view.changes.map((line) => text("li", line)));
          $("warnings").replaceChildren(...view.warnings.map((line) => text("li", line)));
          body.classList.toggle("has-warnings", view.warnings.length > 0);

          $("stats-note").textContent = view.rows.length === 0 ? "" : view.exact
            ? "final figures of the run" : "since the start; latency percentiles estimated from the latency buckets (~)";
          $("stats").tBodies[0].replaceChildren(...view.rows.map((row) => {
            const line = document.createElement("tr");
            if (row.name === "Aggregated" && row.method === "") line.className = "total";
            for (const value of [row.method, row.name, row.requests, row.failures, row.rps, row.p50, row.p95, row.p99]) {
              line.append(text("td", String(value)));
            }
            return line;
          }));

          // The charts are SVG drawn and escaped by the server.
          $("charts").innerHTML = view.charts.map((svg) => '<div class="chart">' + svg + "</div>").join("");

          $("run-error-text").textContent = view.error || "";
          const outcome = view.outcome;
          if (outcome) {
            $("verdict").textContent = outcome.verdict;
            $("verdict").className = outcome.passed ? "pass" : "fail";
            $("outcome-status").textContent = "Run " + (outcome.runID ? outcome.runID + " " : "") + "ended: " + outcome.status + ".";
            $("reasons").replaceChildren(...outcome.reasons.map((line) => text("li", line)));
            $("thresholds").replaceChildren(...outcome.thresholds.map((line) => text("li", line, line.startsWith("✓") ? "pass" : "fail")));
            $("comparison").textContent = outcome.comparison || "";
            $("comparison-block").hidden = !outcome.comparison;
            $("links").replaceChildren(text("span", "Results: "), ...outcome.links.map((link) => {
              const anchor = text("a", link.name);
              anchor.href = link.href;
              anchor.target = "_blank";
              anchor.rel = "noopener";
              return anchor;
            }));
          }
        }

        const events = new EventSource("/events");
        events.onmessage = (event) => render(JSON.parse(event.data));
        events.onerror = () => { $("s-phase").textContent = "disconnected"; };
        """#

    static let styles = """
        :root { --ink: #1d2733; --muted: #5b6775; --line: #dde3ea; --accent: #2e7d32; --bad: #c62828; --bar: #1f2a36; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f3f5f8; }
        header { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 22px; padding: 10px 20px; background: var(--bar); color: #fff; }
        .brand { font-weight: 700; font-size: 20px; letter-spacing: .5px; margin-right: 8px; }
        .stat { display: flex; flex-direction: column; min-width: 64px; }
        .stat.wide { min-width: 180px; max-width: 320px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        .stat .label { font-size: 11px; text-transform: uppercase; letter-spacing: .6px; color: #9fb0c2; }
        .stat span:last-child { font-size: 17px; font-weight: 600; font-variant-numeric: tabular-nums; }
        header button { margin-left: auto; }
        button { font: inherit; font-weight: 600; padding: 7px 18px; border: 0; border-radius: 5px; cursor: pointer; background: var(--accent); color: #fff; }
        button:disabled { opacity: .45; cursor: default; }
        #stop { background: var(--bad); }
        main { padding: 16px 20px 30px; display: flex; flex-direction: column; gap: 16px; }
        .top { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
        .top > .card { flex: 1 1 380px; }
        .top > #change-panel { flex: 0 1 460px; }
        .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px; }
        .card h2 { margin: 0 0 10px; font-size: 16px; }
        .card h2 small { font-weight: 400; color: var(--muted); font-size: 12px; margin-left: 6px; }
        form { display: flex; flex-wrap: wrap; gap: 10px 14px; align-items: flex-end; }
        label { display: flex; flex-direction: column; gap: 3px; font-size: 12px; color: var(--muted); }
        input, select { font: inherit; padding: 6px 8px; border: 1px solid #c5ced8; border-radius: 5px; min-width: 110px; color: var(--ink); background: #fff; }
        #f-host { min-width: 260px; }
        .hint { color: var(--muted); font-size: 12px; margin: 10px 0 0; }
        .error { color: var(--bad); margin: 8px 0 0; white-space: pre-wrap; }
        .error:empty { display: none; }
        body[data-model="closed"] .open-only, body[data-model="open"] .closed-only { display: none; }
        #start-panel, #change-panel, #outcome, #run-error, #warnings-panel { display: none; }
        body[data-phase="idle"] #start-panel, body[data-phase="finished"] #start-panel, body[data-phase="failed"] #start-panel { display: block; }
        body[data-phase="running"] #change-panel { display: block; }
        body[data-phase="finished"] #outcome { display: block; }
        body[data-phase="failed"] #run-error { display: block; }
        body.has-warnings #warnings-panel { display: block; }
        .warn { border-color: #f0c36d; background: #fffaf0; }
        .warn li { color: #8a5a00; }
        #verdict.pass, li.pass { color: var(--accent); }
        #verdict.fail, li.fail { color: var(--bad); }
        #comparison { background: #f6f8fa; padding: 10px; border-radius: 5px; overflow-x: auto; font-size: 12px; }
        #links a { margin-right: 14px; }
        ul { margin: 6px 0; padding-left: 20px; }
        table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
        th, td { text-align: right; padding: 6px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
        th:nth-child(-n+2), td:nth-child(-n+2) { text-align: left; }
        td:nth-child(2) { white-space: normal; word-break: break-all; }
        th { font-size: 12px; color: var(--muted); font-weight: 600; background: #f7f9fb; }
        tr.total td { font-weight: 700; border-top: 2px solid var(--line); }
        #charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 16px; }
        .chart { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
        .chart svg { width: 100%; height: auto; display: block; }
        """
}
