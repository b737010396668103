#!/usr/bin/env python3
"""Opens a load_test_report.html in headless Chromium with the network off and checks what a reader sees.

    check_report.py REPORT RESULTS_JSON SCREENSHOT_PNG [--endpoint-name NAME] [--width PIXELS] [--height PIXELS]

Checks: nothing was fetched and nothing could be (every host name resolves nowhere and every connection
goes to a dead proxy on 127.0.0.1:9); no console message of level SEVERE; the charts are drawn with one
point per second of the run (or per downsampled bucket, at most 600); every value of the response-time
percentile table equals results.json's; NAME, an endpoint name made of markup, shows as text in the
statistics table while no element it describes exists and no script it carries ran (`window.__xss`).
Then saves a screenshot of the whole page (or of its first --height pixels). Exit 0 when every check
passes; otherwise each failure on standard error and exit 1.
"""
import argparse
import json
import os
import sys
import tempfile

os.environ.setdefault("SE_OFFLINE", "true")  # Selenium must never try to download a browser or a driver.
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
MAX_CHART_POINTS = 600


def browser(profile, width):
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--no-first-run", "--disable-extensions", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-default-apps",
                     # The network off: no name resolves, and every connection (loopback too) goes to a port
                     # where nothing listens.
                     "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
                     "--proxy-bypass-list=<-loopback>",
                     f"--user-data-dir={profile}", f"--window-size={width},1000", "--hide-scrollbars"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def near(text, value):
    """The table shows at most two decimals: the text is the value rounded to them."""
    try:
        return abs(float(text) - value) <= 0.005 + 1e-9 * max(abs(value), 1)
    except ValueError:
        return False


def check(driver, results, endpoint_name):
    problems = []
    fetched = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    if fetched:
        problems.append(f"the page fetched resources: {fetched}")
    severe = [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]
    if severe:
        problems.append(f"console errors: {severe}")

    # Charts: one point per second, or per bucket when the run is longer than the buckets. A second in
    # which no request completed has no latency to draw.
    time_series = results.get("time_series", [])
    seconds = len(time_series)
    measured = sum(1 for second in time_series if second["requests"] > 0)
    charts = driver.find_elements(By.CSS_SELECTOR, "#charts svg.timechart")
    if len(charts) < 3:
        problems.append(f"expected 3 charts over time, found {len(charts)}")
    for series in ["requests/s", "failures/s", "p50", "p95", "p99"]:
        lines = driver.find_elements(By.CSS_SELECTOR, f"#charts polyline[data-series='{series}']")
        if len(lines) != 1:
            problems.append(f"chart series {series}: {len(lines)} lines")
            continue
        points = len(lines[0].get_attribute("points").split())
        expected_points = None if seconds > MAX_CHART_POINTS else seconds if series.endswith("/s") else measured
        if expected_points is not None and points != expected_points:
            problems.append(f"chart series {series}: {points} points, expected {expected_points} "
                            f"({seconds} seconds, {measured} with completed requests)")
        if expected_points is None and not 0 < points <= MAX_CHART_POINTS:
            problems.append(f"chart series {series}: {points} points, expected at most {MAX_CHART_POINTS}")
        if lines[0].size["width"] <= 0:
            problems.append(f"chart series {series} is not drawn")

    # The percentile table equals results.json, corrected and uncorrected.
    rows = {}
    for row in driver.find_elements(By.CSS_SELECTOR, "#response-percentiles tr[data-kind]"):
        rows[(row.get_attribute("data-endpoint"), row.get_attribute("data-kind"))] = row
    corrected = results.get("coordinated_omission_corrected", False)
    for endpoint in results["endpoints"] + [results["aggregate"]]:
        title = endpoint["name"] if not endpoint["method"] else f"{endpoint['method']} {endpoint['name']}"
        kinds = [("corrected", "percentiles")] + ([("uncorrected", "uncorrected_percentiles")] if corrected else [])
        for kind, key in kinds:
            row = rows.get((title, kind))
            if row is None:
                problems.append(f"percentile table: no {kind} row for {title!r}")
                continue
            for percentile, value in endpoint[key].items():
                cells = row.find_elements(By.CSS_SELECTOR, f"td[data-percentile='{percentile}']")
                if len(cells) != 1:
                    problems.append(f"percentile table: {title!r} has no {percentile}% cell")
                    continue
                shown, stored = cells[0].text, cells[0].get_attribute("data-value")
                if stored is None or float(stored) != value or not near(shown, value):
                    problems.append(f"percentile table: {title!r} {kind} {percentile}% shows {shown!r} "
                                    f"(data-value {stored!r}), results.json has {value}")

    # Markup in a name is text: shown as written, and nothing it describes exists or ran.
    if endpoint_name:
        names = [cell.text for cell in driver.find_elements(By.CSS_SELECTOR, "#request-statistics td.name")]
        if endpoint_name not in names:
            problems.append(f"the endpoint {endpoint_name!r} is not shown as text in the statistics table: {names}")
        if driver.execute_script("return typeof window.__xss") != "undefined":
            problems.append("a script carried by an endpoint name ran (window.__xss is set)")
        if driver.find_elements(By.CSS_SELECTOR, "img, script, iframe, object, embed"):
            problems.append("the page has an img, script, iframe, object or embed element")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report")
    parser.add_argument("results")
    parser.add_argument("screenshot")
    parser.add_argument("--endpoint-name")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, help="only the page's first PIXELS (default: the whole page)")
    arguments = parser.parse_args()
    with open(arguments.results, encoding="utf-8") as file:
        results = json.load(file)
    with tempfile.TemporaryDirectory(prefix="report-browser-") as profile:
        driver = browser(profile, arguments.width)
        try:
            driver.get("file://" + os.path.abspath(arguments.report))
            problems = check(driver, results, arguments.endpoint_name)
            height = arguments.height or driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(arguments.width, height)
            driver.save_screenshot(arguments.screenshot)
        finally:
            driver.quit()
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"checked {arguments.report}: {len(problems)} problem(s); screenshot {arguments.screenshot}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
