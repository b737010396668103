#!/usr/bin/env python3
"""Drives `loadops ui` in headless Chromium as a person would, and reports what the page showed.

    drive_ui.py URL TARGET_URL ARTIFACTS_FOLDER

Opens URL (the address `loadops ui` printed, with its token), fills the Start form with TARGET_URL
and 5 users, starts the run, waits for the request counter to rise, changes the users to 8, takes a
screenshot of the running page (ui-running.png), presses Stop, waits for the verdict and the report
link, and takes a second screenshot (ui-finished.png). Prints one JSON object: the counter's readings,
the verdict, the links, the console messages of level SEVERE. Exit 0 when every step happened;
otherwise each failure on standard error and exit 1.
"""
import json
import os
import sys
import tempfile
import time

os.environ.setdefault("SE_OFFLINE", "true")  # Selenium must never try to download a browser or a driver.
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def browser(profile):
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--no-first-run", "--disable-extensions", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-default-apps",
                     # No host name resolves: the page may only reach the UI, by its loopback address.
                     "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                     f"--user-data-dir={profile}", "--window-size=1440,1100", "--hide-scrollbars"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def settled(read, attempts=50):
    """The page redraws its live parts every second: an element found a moment ago may be gone, so a
    read that meets a replaced element is simply done again."""
    for attempt in range(attempts):
        try:
            return read()
        except StaleElementReferenceException:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05)


def wait_for(seconds, what, condition):
    deadline = time.monotonic() + seconds
    while True:
        value = settled(condition)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {seconds} s for {what}")
        time.sleep(0.1)


def text_of(driver, element_id):
    return settled(lambda: driver.find_element(By.ID, element_id).text.strip())


def fill(driver, name, value):
    field = driver.find_element(By.NAME, name)
    field.clear()
    field.send_keys(value)


def count(driver):
    try:
        return int(text_of(driver, "s-requests"))
    except ValueError:
        return -1


def main():
    url, target, artifacts = sys.argv[1:4]
    os.makedirs(artifacts, exist_ok=True)
    report = {"readings": [], "problems": []}
    with tempfile.TemporaryDirectory() as profile:
        driver = browser(profile)
        try:
            driver.get(url)
            wait_for(10, "the Start form", lambda: driver.find_element(By.ID, "start").is_enabled())
            report["address_bar"] = driver.current_url
            fill(driver, "host", target)
            fill(driver, "users", "5")
            fill(driver, "spawn_rate", "5")
            fill(driver, "duration", "2m")
            driver.find_element(By.ID, "start").click()

            # The counter rises within a few seconds, and keeps rising.
            first = wait_for(10, "a first request", lambda: count(driver) if count(driver) > 0 else None)
            report["readings"].append(first)
            second = wait_for(10, "the counter to rise", lambda: count(driver) if count(driver) > first else None)
            report["readings"].append(second)

            wait_for(10, "the change form", lambda: driver.find_element(By.ID, "change-value").is_displayed())
            settled(lambda: driver.find_element(By.ID, "change-value").send_keys("8"))
            settled(lambda: driver.find_element(By.ID, "change").click())
            wait_for(10, "8 users", lambda: text_of(driver, "s-users") == "8")
            report["changes"] = settled(lambda: [item.text for item in driver.find_elements(By.CSS_SELECTOR, "#changes li")])
            # A few seconds of charts for the picture.
            time.sleep(4)
            report["charts"] = settled(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#charts svg.timechart")))
            report["rows"] = settled(lambda: [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
                                              for row in driver.find_elements(By.CSS_SELECTOR, "#stats tbody tr")])
            driver.save_screenshot(os.path.join(artifacts, "ui-running.png"))

            settled(lambda: driver.find_element(By.ID, "stop").click())
            report["verdict"] = wait_for(30, "the verdict", lambda: text_of(driver, "verdict") or None)
            report["outcome_status"] = text_of(driver, "outcome-status")
            report["links"] = settled(lambda: {anchor.text: anchor.get_attribute("href")
                                               for anchor in driver.find_elements(By.CSS_SELECTOR, "#links a")})
            report["final_requests"] = count(driver)
            report["phase"] = text_of(driver, "s-phase")
            driver.save_screenshot(os.path.join(artifacts, "ui-finished.png"))

            # The report link opens the run's report.
            report_link = report["links"].get("load_test_report.html")
            if report_link:
                driver.get(report_link)
                report["report_title"] = driver.title
            report["severe"] = [entry["message"] for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]
        except Exception as error:  # noqa: BLE001 - every failure is reported with the page's state
            report["problems"].append(f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
            try:
                driver.save_screenshot(os.path.join(artifacts, "ui-failure.png"))
            except Exception:  # noqa: BLE001
                pass
        finally:
            driver.quit()
    print(json.dumps(report))
    for problem in report["problems"]:
        print(problem, file=sys.stderr)
    return 1 if report["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
