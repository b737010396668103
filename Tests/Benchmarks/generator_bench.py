#!/usr/bin/env python3
"""Side-by-side benchmark of loadops against wrk, hey, ab and Locust on loopback.

Started by `make bench` (BENCH_QUICK=1 for the smoke run inside `make test`). Starts its own
nginx on a free loopback port, runs every tool in turn (interleaved, several repetitions), each
under /usr/bin/time so the generator's own CPU (user+sys) and peak RSS are measured the same way
for all, and nginx's stub_status as the ground truth. Closed scenarios also ask for 64 KiB answers
and go over HTTPS (nginx's second listener, a self-signed certificate made at start); the open model
is set against a small C loop compiled at bench time, the least CPU any open-model generator needs.
Prints a Markdown table of medians and writes it to BENCHMARKS.md. Traffic goes to 127.0.0.1 only;
every run is bounded in time.
"""
import argparse
import collections
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The generator's targets: requests per CPU-second at least the better wrk's in every closed scenario,
# peak RSS at 10,000 connections at most 1.5 × wrk's, and the open model's 1000 requests/s for at
# most 0.5 CPU-seconds per 10 s.
WRK_RATIO_TARGET = 1.0
RSS_RATIO_TARGET = 1.5
OPEN_MODEL_CPU_TARGET = 0.5
# 64 KiB answers and HTTPS: the ratios to the better wrk these scenarios had before the current generator,
# which must not drop (reading large bodies and TLS cost both tools alike, so parity is not the bar here).
LARGE_ANSWER_WRK_RATIO_TARGET = 0.94
HTTPS_WRK_RATIO_TARGET = 0.97

LARGE_ANSWER_PATH = "/64k"
LARGE_ANSWER_BYTES = 64 * 1024
FLOOR_NAME = "exact-arrival C loop"
FLOOR_DEFERRED_NAME = "exact-arrival C loop, answers read at the next arrival"


class Nginx:
    """nginx from Debian's package: one worker, no access log, `return 200 "ok\\n"` on a plain and an
    HTTPS listener (a self-signed certificate made at start), and a 64 KiB file."""

    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "nginx")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.tls_port = free_port()
        with open(os.path.join(self.dir, "64k.bin"), "wb") as f:
            f.write(b"x" * LARGE_ANSWER_BYTES)
        cert, key = os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        conf = textwrap.dedent(f"""
            worker_processes 1;
            daemon off;
            master_process off;
            worker_rlimit_nofile 65536;
            error_log {self.dir}/error.log warn;
            pid {self.dir}/nginx.pid;
            events {{ worker_connections 30000; multi_accept on; }}
            http {{
                access_log off;
                client_body_temp_path {self.dir}/body;
                proxy_temp_path {self.dir}/proxy;
                fastcgi_temp_path {self.dir}/fastcgi;
                uwsgi_temp_path {self.dir}/uwsgi;
                scgi_temp_path {self.dir}/scgi;
                keepalive_requests 100000000;
                keepalive_timeout 120s;
                server {{
                    listen 127.0.0.1:{self.port} backlog=16384;
                    listen 127.0.0.1:{self.tls_port} ssl backlog=16384;
                    ssl_certificate {cert};
                    ssl_certificate_key {key};
                    location = /nginx_status {{ stub_status; }}
                    location = {LARGE_ANSWER_PATH} {{ alias {self.dir}/64k.bin; default_type application/octet-stream; sendfile on; }}
                    location /flow/ {{ default_type application/json; return 200 '{{"data":{{"token":"t0k3n-4f1e"}}}}'; }}
                    location / {{ return 200 "ok\\n"; }}
                }}
            }}
            """)
        path = os.path.join(self.dir, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen([nginx, "-p", self.dir, "-c", path],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                self.status()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/"

    def base(self, tls=False):
        """The URL without a path, for the plain listener or the HTTPS one."""
        return f"https://127.0.0.1:{self.tls_port}" if tls else f"http://127.0.0.1:{self.port}"

    def status(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"GET /nginx_status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        text = data.decode()
        active = int(re.search(r"Active connections:\s*(\d+)", text).group(1))
        numbers = re.search(r"\n\s*(\d+)\s+(\d+)\s+(\d+)\s*\n", text)
        return active, int(numbers.group(3))

    def requests(self):
        return self.status()[1]

    def stop(self):
        # Only the process we started, by its PID.
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def timed(cmd, workdir, timeout, sample=None):
    """Runs cmd under /usr/bin/time; returns (stdout+stderr, user+sys seconds, peak RSS MB, wall)."""
    timefile = os.path.join(workdir, "time.txt")
    full = ["/usr/bin/time", "-o", timefile, "-f", "%U %S %M %e"] + cmd
    proc = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=workdir, text=True,
                            preexec_fn=raise_nofile)
    sampled = None
    if sample:
        sampled = sample(proc)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        out += "\n[killed: timeout]"
    user, system, rss_kb, wall = open(timefile).read().split()[-4:]
    return out, float(user) + float(system), float(rss_kb) / 1024, float(wall), sampled


def raise_nofile():
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def number(pattern, text, default=None, cast=float):
    m = re.search(pattern, text, re.M)
    return cast(m.group(1)) if m else default


def ms_from(value, unit):
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def wrk_latency(text, pct):
    m = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    return ms_from(m.group(1), m.group(2)) if m else None


class Tools:
    def __init__(self, binary, workdir, nginx):
        self.binary = binary
        self.workdir = workdir
        self.nginx = nginx

    def wrk(self, connections, seconds, rate=None, threads=2, path="/", tls=False):
        cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
        if rate:
            # wrk has no fixed-rate mode (that is wrk2); a per-connection delay holds it near the rate.
            script = os.path.join(self.workdir, "delay.lua")
            per_connection_ms = connections * 1000.0 / rate
            with open(script, "w") as f:
                f.write(f"function delay() return {per_connection_ms:.3f} end\n")
            cmd += ["-s", script]
        # wrk accepts a self-signed certificate without being told.
        out, cpu, rss, wall, sampled = timed(cmd + [self.nginx.base(tls) + path], self.workdir, seconds + 30)
        requests = number(r"(\d+) requests in", out, 0, int)
        errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
        errors += number(r"Non-2xx or 3xx responses: (\d+)", out, 0, int)
        return dict(requests=requests, errors=errors, cpu=cpu, rss=rss, wall=wall,
                    p50=wrk_latency(out, 50), p99=wrk_latency(out, 99), raw=out)

    def hey(self, connections, seconds):
        out, cpu, rss, wall, _ = timed(["hey", "-c", str(connections), "-z", f"{seconds}s", "-t", "10", self.nginx.url],
                                       self.workdir, seconds + 60)
        requests = sum(int(x) for x in re.findall(r"\[\d+\]\s+(\d+) responses", out))
        errors = sum(int(x) for x in re.findall(r"\[\d+\]\s+(\d+) errors", out, re.M)) if "Error distribution" in out else 0
        p50 = number(r"50%+ in ([\d.]+) secs", out)
        p99 = number(r"99%+ in ([\d.]+) secs", out)
        return dict(requests=requests, errors=errors, cpu=cpu, rss=rss, wall=wall,
                    p50=p50 * 1000 if p50 is not None else None, p99=p99 * 1000 if p99 is not None else None, raw=out)

    def ab(self, connections, seconds):
        out, cpu, rss, wall, _ = timed(["ab", "-k", "-q", "-c", str(connections), "-t", str(seconds), "-n", "100000000",
                                        "-s", "10", self.nginx.url], self.workdir, seconds + 30)
        complete = number(r"Complete requests:\s+(\d+)", out, 0, int)
        failed = number(r"Failed requests:\s+(\d+)", out, 0, int)
        return dict(requests=complete, errors=failed, cpu=cpu, rss=rss, wall=wall,
                    p50=number(r"^\s+50%\s+(\d+)", out), p99=number(r"^\s+99%\s+(\d+)", out), raw=out)

    def locust(self, connections, seconds):
        locustfile = os.path.join(self.workdir, "locustfile.py")
        with open(locustfile, "w") as f:
            # FastHttpUser: Locust's fast client (geventhttpclient), its best configuration for raw throughput.
            f.write("from locust import FastHttpUser, task\n\nclass Bench(FastHttpUser):\n    @task\n    def root(self):\n"
                    "        self.client.get('/')\n")
        prefix = os.path.join(self.workdir, "locust")
        out, cpu, rss, wall, _ = timed([sys.executable, "-m", "locust", "-f", locustfile, "--headless", "-u", str(connections),
                                        "-r", str(connections), "-t", f"{seconds}s", "-H", self.nginx.url.rstrip("/"),
                                        "--csv", prefix, "--only-summary", "--stop-timeout", "2"],
                                       self.workdir, seconds + 60)
        row = {}
        try:
            import csv
            with open(prefix + "_stats.csv") as f:
                for r in csv.DictReader(f):
                    if r["Name"] == "Aggregated":
                        row = r
        except OSError:
            pass
        return dict(requests=int(row.get("Request Count", 0) or 0), errors=int(row.get("Failure Count", 0) or 0),
                    cpu=cpu, rss=rss, wall=wall, p50=float(row["50%"]) if row.get("50%") not in (None, "", "N/A") else None,
                    p99=float(row["99%"]) if row.get("99%") not in (None, "", "N/A") else None, raw=out)

    def loadops(self, connections, seconds, rate=None, sample_established=False, binary=None, flow=None,
                path="/", tls=False):
        out_dir = os.path.join(self.workdir, "loadops-out")
        host = self.nginx.base(tls)
        cmd = [binary or self.binary, "run", "--host", host, "--duration", f"{seconds}s",
               "--output", out_dir, "--quiet"]
        if tls:
            cmd.append("--insecure")  # the bench's certificate is self-signed
        if flow is not None:
            config = os.path.join(self.workdir, "flow-bench.yml")
            with open(config, "w") as f:
                f.write(flow_config(host, flow, out_dir))
            cmd += ["--config", config]
        elif path != "/":
            config = os.path.join(self.workdir, "path-bench.yml")
            with open(config, "w") as f:
                f.write(f"host: {host}\noutput: {out_dir}\nthresholds: {{}}\nendpoints:\n  - {{ method: GET, path: {path} }}\n")
            cmd += ["--config", config]
        if rate:
            cmd += ["--model", "open", "--rate", f"{rate}/s"]
        else:
            cmd += ["--model", "closed", "--users", str(connections), "--spawn-rate", "1000000"]
        sample = None
        if sample_established:
            def sample(proc):
                # Count established connections to nginx halfway through the run.
                time.sleep(seconds / 2)
                return self.nginx.status()[0] - 1
        out, cpu, rss, wall, established = timed(cmd, self.workdir, seconds + 60, sample)
        # The run's first log line says how many event loops loadops chose.
        try:
            with open(os.path.join(out_dir, "load_test.log")) as f:
                loops = number(r"(\d+) event loops?", f.read(), None, int)
        except OSError:
            loops = None
        try:
            with open(os.path.join(out_dir, "results.json")) as f:
                doc = json.load(f)
        except (OSError, ValueError):
            return dict(requests=0, errors=0, cpu=cpu, rss=rss, wall=wall, p50=None, p99=None, raw=out)
        agg = doc["aggregate"]
        return dict(requests=agg["requests"], errors=agg["failures"], cpu=cpu, rss=rss, wall=wall, loops=loops,
                    p50=agg["percentiles"]["50"], p99=agg["percentiles"]["99"], raw=out, established=established,
                    achieved=agg["requests"] / doc["duration_seconds"] if doc["duration_seconds"] else 0)


    def floor(self, executable, seconds, rate, deferred=False):
        """The exact-arrival C loop: what the usual open-model design costs here, with no work of its own
        (`deferred`: with answers read at the next arrival's wake-up, as loadops reads them)."""
        out, cpu, rss, wall, _ = timed([executable, str(self.nginx.port), str(rate), str(seconds)] + (["deferred"] if deferred else []),
                                       self.workdir, seconds + 30)
        answers = number(r"^answers (\d+) errors (\d+) sent (\d+)", out, 0, int)
        sent = number(r"^answers \d+ errors \d+ sent (\d+)", out, rate * seconds, int)
        return dict(requests=answers, errors=sent - answers, cpu=cpu, rss=rss, wall=wall, p50=None, p99=None, raw=out)


FLOW_STEPS = ["/flow/start", "/flow/read", "/flow/finish"]


def flow_config(host, as_flow, out_dir):
    """The same three requests as plain endpoints, or as one flow whose first answer's token the
    next two requests carry (one JSON extraction per iteration)."""
    head = f"host: {host}\noutput: {out_dir}\nthresholds: {{}}\n"
    if not as_flow:
        return head + "endpoints:\n" + "".join(
            f"  - {{ method: GET, path: {p}, headers: {{ X-Token: t0k3n-4f1e }} }}\n" for p in FLOW_STEPS)
    return head + textwrap.dedent(f"""\
        flows:
          - name: token
            steps:
              - {{ method: GET, path: {FLOW_STEPS[0]}, extract: {{ token: $.data.token }} }}
              - {{ method: GET, path: {FLOW_STEPS[1]}, headers: {{ X-Token: "{{token}}" }} }}
              - {{ method: GET, path: {FLOW_STEPS[2]}, headers: {{ X-Token: "{{token}}" }} }}
        """)


# The open model's reference loop, compiled at bench time: see its first comment.
FLOOR_SOURCE = r"""/* A minimal open-model generator: one keep-alive connection, a request sent at each
 * exact arrival time (absolute deadlines, asleep in epoll_pwait2 until each), and every answer read
 * when it arrives (a wake-up each), and nothing else: what the usual design of an open-model generator
 * costs on this machine before any work of its own. With a fourth argument `deferred`, answers do not
 * wake it: each is read when it wakes for the next arrival (one wake-up per request, not two).
 * Usage: floor PORT RATE SECONDS [deferred].
 * Prints "answers A errors E sent S"; exits 1 when it cannot connect or the connection fails. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char request[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
static char buffer[1 << 16];
static size_t buffered;
static long long answers, errors;

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void fail(const char *what) {
    fprintf(stderr, "exact-arrival loop: %s: %s (after %lld answers)\n", what, errno ? strerror(errno) : "", answers);
    exit(1);
}

/* The body length from an answer's head; nginx's `return 200` always sends Content-Length. */
static long content_length(const char *head, size_t length) {
    const char *line = head;
    const char *end = head + length;
    while (line < end) {
        const char *next = memchr(line, '\n', (size_t)(end - line));
        if (!next) break;
        if ((size_t)(next - line) > 15 && strncasecmp(line, "content-length:", 15) == 0) return strtol(line + 15, NULL, 10);
        line = next + 1;
    }
    return 0;
}

/* One recv per wake (epoll is level-triggered: more data wakes it again), then every whole answer counted. */
static void read_answers(int fd) {
    ssize_t got = recv(fd, buffer + buffered, sizeof buffer - buffered, MSG_DONTWAIT);
    if (got == 0) { errno = 0; fail("nginx closed the connection"); }
    if (got < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        fail("recv");
    }
    buffered += (size_t)got;
    size_t start = 0;
    for (;;) {
        char *head_end = memmem(buffer + start, buffered - start, "\r\n\r\n", 4);
        if (!head_end) break;
        size_t head = (size_t)(head_end + 4 - (buffer + start));
        long body = content_length(buffer + start, head);
        if (buffered - start < head + (size_t)body) break;
        if (strncmp(buffer + start, "HTTP/1.1 200 ", 13) == 0) answers++; else errors++;
        start += head + (size_t)body;
    }
    memmove(buffer, buffer + start, buffered - start);
    buffered -= start;
    if (buffered == sizeof buffer) { errno = 0; fail("an answer longer than 64 KiB"); }
}

/* Sleeps until the absolute deadline, reading each answer as it arrives. */
static void wait_until(int epoll_fd, int fd, long long deadline) {
    struct epoll_event events[4];
    for (;;) {
        long long left = deadline - now_ns();
        if (left <= 0) return;
        struct timespec timeout = { left / 1000000000LL, left % 1000000000LL };
        int ready = epoll_pwait2(epoll_fd, events, 4, &timeout, NULL);
        if (ready < 0 && errno != EINTR) fail("epoll_pwait2");
        if (ready > 0) read_answers(fd);
    }
}

int main(int argc, char **argv) {
    if (argc != 4 && !(argc == 5 && strcmp(argv[4], "deferred") == 0)) {
        fprintf(stderr, "usage: %s PORT RATE SECONDS [deferred]\n", argv[0]);
        return 2;
    }
    int deferred = argc == 5;
    int port = atoi(argv[1]);
    long long rate = atoll(argv[2]);
    long long seconds = atoll(argv[3]);
    if (port <= 0 || port > 65535 || rate <= 0 || seconds <= 0) {
        fprintf(stderr, "exact-arrival loop: PORT, RATE and SECONDS must be positive\n");
        return 2;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("socket");
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) {
        fprintf(stderr, "exact-arrival loop: cannot connect to 127.0.0.1:%d: %s\n", port, strerror(errno));
        return 1;
    }
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) fail("TCP_NODELAY");
    int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) fail("epoll_create1");
    struct epoll_event interest = { .events = EPOLLIN, .data.fd = fd };
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &interest) < 0) fail("epoll_ctl");
    /* Deferred: the waits between arrivals watch nothing, so only the deadline wakes the loop. */
    int idle_fd = epoll_create1(EPOLL_CLOEXEC);
    if (idle_fd < 0) fail("epoll_create1");

    long long total = rate * seconds;
    long long start = now_ns();
    for (long long i = 1; i <= total; i++) {
        wait_until(deferred ? idle_fd : epoll_fd, fd, start + i * 1000000000LL / rate);
        if (deferred) read_answers(fd);
        ssize_t sent = send(fd, request, sizeof request - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent != (ssize_t)(sizeof request - 1)) {
            if (sent >= 0) errno = 0;
            fail("send (nginx stopped reading?)");
        }
    }
    /* The last answers, for at most two seconds. */
    long long deadline = now_ns() + 2000000000LL;
    while (answers + errors < total && now_ns() < deadline) {
        struct epoll_event events[4];
        struct timespec timeout = { 0, 100000000L };
        int ready = epoll_pwait2(epoll_fd, events, 4, &timeout, NULL);
        if (ready < 0 && errno != EINTR) fail("epoll_pwait2");
        if (ready > 0) read_answers(fd);
    }
    printf("answers %lld errors %lld sent %lld\n", answers, errors, total);
    close(idle_fd);
    close(epoll_fd);
    close(fd);
    return answers + errors == total ? 0 : 1;
}
"""


def build_floor(workdir):
    """Compiles FLOOR_SOURCE; returns (executable, None), or (None, why it was not built)."""
    cc = shutil.which("cc")
    if not cc:
        return None, "no C compiler (cc) on PATH"
    source = os.path.join(workdir, "floor.c")
    executable = os.path.join(workdir, "floor")
    with open(source, "w") as f:
        f.write(FLOOR_SOURCE)
    try:
        built = subprocess.run([cc, "-O2", "-Wall", "-o", executable, source], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return None, "cc took more than two minutes"
    if built.returncode != 0:
        return None, "cc failed: " + (built.stderr.strip() or built.stdout.strip())
    return executable, None


# path and tls: what the generators ask for; wrk_target: loadops / better wrk, closed scenarios only;
# quick: also part of the --quick smoke run.
Scenario = collections.namedtuple("Scenario", "name connections rate names path tls wrk_target quick",
                                  defaults=("/", False, WRK_RATIO_TARGET, False))


def median_range(values):
    values = [v for v in values if v is not None]
    if not values:
        return None, None, None
    return statistics.median(values), min(values), max(values)


def fmt(value, digits=0):
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def cell(values, digits=0):
    med, lo, hi = median_range(values)
    if med is None:
        return "n/a"
    if lo == hi:
        return fmt(med, digits)
    return f"{fmt(med, digits)} ({fmt(lo, digits)}–{fmt(hi, digits)})"


def tool_version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        text = (out.stdout + out.stderr).strip().splitlines()
        return text[0] if text else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True, help="the loadops executable (a release build)")
    parser.add_argument("--quick", action="store_true", help="a couple of seconds per tool, one repetition")
    parser.add_argument("--output", help="where the report goes (default: BENCHMARKS.md; --quick writes it only "
                        "when --output is given)")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--baseline-binary", help="an earlier loadops build, measured side by side with --binary "
                        "(row \"loadops (baseline)\"): a before/after comparison on the same machine, in the same run")
    parser.add_argument("--baseline-label", help="how BENCHMARKS.md names the baseline build (default: its path)")
    args = parser.parse_args()
    seconds = 2 if args.quick else args.seconds
    reps = 1 if args.quick else args.repetitions

    workdir = tempfile.mkdtemp(prefix="loadops-bench-")
    nginx = Nginx(workdir)
    tools = Tools(os.path.abspath(args.binary), workdir, nginx)
    problems = []
    # Built and run in --quick too, so that it cannot rot unnoticed.
    floor, floor_note = build_floor(workdir)
    if floor_note:
        print(f"{FLOOR_NAME}: not run: {floor_note}", flush=True)
        if shutil.which("cc"):
            problems.append(f"the {FLOOR_NAME} did not compile: {floor_note}")
    # wrk runs with one thread and with two (its default): loadops is compared with the better of them.
    scenarios = [
        Scenario("closed, 50 keep-alive connections", 50, None, ["loadops", "wrk -t1", "wrk -t2", "hey", "ab", "locust"],
                 quick=True),
        Scenario("closed, 50 connections, 64 KiB answers", 50, None, ["loadops", "wrk -t1", "wrk -t2"],
                 path=LARGE_ANSWER_PATH, wrk_target=LARGE_ANSWER_WRK_RATIO_TARGET, quick=True),
        Scenario("closed, 50 connections, HTTPS", 50, None, ["loadops", "wrk -t1", "wrk -t2"],
                 tls=True, wrk_target=HTTPS_WRK_RATIO_TARGET, quick=True),
        Scenario("closed, 2000 connections", 2000, None, ["loadops", "wrk -t1", "wrk -t2", "hey", "locust"]),
        Scenario("open model, 1000 requests/s", 10, 1000, ["loadops", "wrk -t2"] + ([FLOOR_NAME, FLOOR_DEFERRED_NAME] if floor else []),
                 quick=True),
        Scenario("closed, 10000 connections", 10000, None, ["loadops", "wrk -t1", "wrk -t2"]),
        Scenario("flow of three steps against the same requests as endpoints, 50 users", 50, None,
                 ["loadops endpoints", "loadops flow"], quick=True),
    ]
    if args.quick:
        scenarios = [sc for sc in scenarios if sc.quick]
    if args.baseline_binary:
        scenarios = [sc._replace(names=sc.names[:1] + ["loadops (baseline)"] + sc.names[1:]) if sc.names[0] == "loadops" else sc
                     for sc in scenarios]
    results = {}
    try:
        for sc in scenarios:
            name, connections, rate, names = sc.name, sc.connections, sc.rate, sc.names
            for rep in range(reps):
                for tool in names:  # interleaved: one run of each tool per repetition
                    before = nginx.requests()
                    if tool == "loadops":
                        r = tools.loadops(connections, seconds, rate=rate, sample_established=connections >= 2000,
                                          path=sc.path, tls=sc.tls)
                    elif tool in ("loadops endpoints", "loadops flow"):
                        r = tools.loadops(connections, seconds, flow=tool == "loadops flow")
                    elif tool == "loadops (baseline)":
                        r = tools.loadops(connections, seconds, rate=rate, sample_established=connections >= 2000,
                                          binary=os.path.abspath(args.baseline_binary), path=sc.path, tls=sc.tls)
                    elif tool.startswith("wrk"):
                        r = tools.wrk(connections, seconds, rate=rate, threads=int(tool[-1]), path=sc.path, tls=sc.tls)
                    elif tool in (FLOOR_NAME, FLOOR_DEFERRED_NAME):
                        r = tools.floor(floor, seconds, rate, deferred=tool == FLOOR_DEFERRED_NAME)
                    else:
                        r = getattr(tools, tool)(connections, seconds)
                    time.sleep(0.5)  # let nginx finish closing
                    # stub_status counts its own requests: the reading after, and the one taken mid-run.
                    r["nginx"] = nginx.requests() - before - 1 - (1 if r.get("established") is not None else 0)
                    results.setdefault((name, tool), []).append(r)
                    rate_per_cpu = r["requests"] / r["cpu"] if r["cpu"] else 0
                    print(f"{name:38} {tool:8} rep {rep + 1}: {r['requests']:>9,} requests, "
                          f"{rate_per_cpu:>9,.0f} req/CPU-s, RSS {r['rss']:.0f} MB, nginx counted {r['nginx']:,}"
                          + (f", {r.get('established')} established" if r.get("established") is not None else ""),
                          flush=True)
                    if tool.startswith("loadops") and tool != "loadops (baseline)" and r["requests"] != r["nginx"]:
                        problems.append(f"{name}: loadops counted {r['requests']} requests, nginx {r['nginx']}")
                    if r["requests"] == 0:
                        problems.append(f"{name}: {tool} completed no request")
                    if tool in (FLOOR_NAME, FLOOR_DEFERRED_NAME) and (r["errors"] or r["requests"] != r["nginx"]):
                        problems.append(f"{name}: the {tool} got {r['requests']} good answers, {r['errors']} missing "
                                        f"or failed, nginx counted {r['nginx']}: {r['raw'].strip()[-300:]}")
    finally:
        nginx.stop()

    lines = []
    lines.append("# Generator benchmark")
    lines.append("")
    lines.append(f"Measured by `make bench{' BENCH_QUICK=1' if args.quick else ''}` on {datetime.date.today().isoformat()}, "
                 f"{platform.node()} ({os.cpu_count()} cores, {platform.machine()}, Linux {platform.release()}), "
                 f"{seconds} s per run, median of {reps} interleaved repetitions (min–max in brackets), "
                 f"against one nginx worker on loopback. The generator's own CPU is user+sys from /usr/bin/time.")
    lines.append("")
    lines.append("Tools: " + "; ".join([
        "loadops " + tool_version([tools.binary, "--version"]),
        tool_version(["wrk", "-v"]).split(" Copyright")[0],
        "hey " + (subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "hey"], capture_output=True, text=True).stdout or "?"),
        tool_version(["ab", "-V"]).replace("This is ", ""),
        tool_version([sys.executable, "-m", "locust", "--version"]).split(" from ")[0],
        tool_version(["nginx", "-v"]),
    ]))
    lines.append("")
    if args.baseline_binary:
        lines.append(f"`loadops (baseline)` is an earlier build ({args.baseline_label or args.baseline_binary}), "
                     "run side by side with this one: the ratio between the two is the change's own effect, "
                     "whatever else the machine was doing.")
        lines.append("")
    for sc in scenarios:
        name, connections, rate, names = sc.name, sc.connections, sc.rate, sc.names
        lines.append(f"## {name}")
        lines.append("")
        extra_columns = (["achieved rate", "established"] if rate or connections >= 2000 else []) + (["CPU-s per 10 s"] if rate else [])
        lines.append("| tool | requests per generator CPU-second | requests | requests per wall second | peak RSS (MB) | p50 (ms) | p99 (ms) | errors | nginx counted |"
                     + "".join(f" {c} |" for c in extra_columns))
        lines.append("|---|---|---|---|---|---|---|---|---|" + "---|" * len(extra_columns))
        for tool in names:
            runs = results.get((name, tool), [])
            loops = sorted({r.get("loops") for r in runs if r.get("loops")})
            label = f"{tool} ({'/'.join(map(str, loops))} event loop{'s' if loops != [1] else ''})" if loops else tool
            row = [label,
                   cell([r["requests"] / r["cpu"] if r["cpu"] else None for r in runs]),
                   cell([r["requests"] for r in runs]),
                   cell([r["requests"] / r["wall"] if r["wall"] else None for r in runs]),
                   cell([r["rss"] for r in runs], 1),
                   cell([r["p50"] for r in runs], 2),
                   cell([r["p99"] for r in runs], 2),
                   cell([r["errors"] for r in runs]),
                   cell([r["nginx"] for r in runs])]
            if rate or connections >= 2000:
                row.append(cell([r.get("achieved") for r in runs], 1) if tool == "loadops" and rate else
                           (cell([r["requests"] / r["wall"] for r in runs], 1) if rate else ""))
                row.append(cell([r.get("established") for r in runs]) if tool == "loadops" and connections >= 2000 else "")
            if rate:
                row.append(cell([r["cpu"] * 10 / seconds for r in runs], 2))
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
        ours = [r["requests"] / r["cpu"] for r in results.get((name, "loadops"), []) if r["cpu"]]
        ratios = []
        for other in names:
            if other == "loadops":
                continue
            theirs = [r["requests"] / r["cpu"] for r in results.get((name, other), []) if r["cpu"]]
            if ours and theirs and statistics.median(theirs) > 0:
                ratios.append(f"loadops/{other} = {statistics.median(ours) / statistics.median(theirs):.2f}")
        if ratios and not rate:
            lines.append("Requests per generator CPU-second, ratio of medians: " + ", ".join(ratios) + ".")
            wrks = {w: statistics.median([r["requests"] / r["cpu"] for r in results.get((name, w), []) if r["cpu"]] or [0])
                    for w in names if w.startswith("wrk")}
            best = max(wrks, key=wrks.get) if wrks else None
            if ours and best and wrks[best] > 0:
                figure = statistics.median(ours) / wrks[best]
                lines.append("")
                lines.append(f"Against the better wrk ({best}): **{figure:.2f}** (target ≥ {sc.wrk_target:.2f}"
                             + ("" if sc.wrk_target == WRK_RATIO_TARGET else ", the earlier ratio, which must not drop")
                             + ("" if figure >= sc.wrk_target else ", **missed**") + ").")
                if figure < sc.wrk_target and not args.quick:
                    problems.append(f"{name}: loadops/wrk = {figure:.2f}, below {sc.wrk_target:.2f}")
            lines.append("")
        flow_runs = results.get((name, "loadops flow"), [])
        plain_runs = results.get((name, "loadops endpoints"), [])
        if flow_runs and plain_runs:
            flow_rate = statistics.median([r["requests"] / r["cpu"] for r in flow_runs if r["cpu"]] or [0])
            plain_rate = statistics.median([r["requests"] / r["cpu"] for r in plain_runs if r["cpu"]] or [0])
            figure = flow_rate / plain_rate if plain_rate else 0
            lines.append(f"The flow keeps **{figure:.2f}** of the plain endpoints' requests per generator CPU-second "
                         "(ratio of medians; target ≥ 0.80).")
            lines.append("")
            if figure < 0.8 and not args.quick:
                problems.append(f"{name}: flow/endpoints = {figure:.2f}, below 0.80")
            for r in flow_runs:
                if r["errors"]:
                    problems.append(f"{name}: the flow had {r['errors']} failed requests")
        if not args.quick:
            # The memory and connection targets, checked on every run of the scenario.
            lo = results.get((name, "loadops"), [])
            rss_limit = {2000: 64, 10000: 160}.get(connections)
            if rss_limit and lo and statistics.median([r["rss"] for r in lo]) > rss_limit:
                problems.append(f"{name}: loadops peak RSS above {rss_limit} MB")
            wrk_rss = [r["rss"] for w in ("wrk -t1", "wrk -t2") for r in results.get((name, w), [])]
            if connections >= 10000 and lo and wrk_rss:
                figure = statistics.median([r["rss"] for r in lo]) / statistics.median(wrk_rss)
                lines.append(f"Peak RSS against wrk's (median of both wrk runs): **{figure:.2f}** (target ≤ {RSS_RATIO_TARGET:.1f}"
                             + ("" if figure <= RSS_RATIO_TARGET else ", **missed**") + ").")
                lines.append("")
                if figure > RSS_RATIO_TARGET:
                    problems.append(f"{name}: loadops peak RSS is {figure:.2f} × wrk's, above {RSS_RATIO_TARGET:.1f}")
            if connections >= 2000 and any(r.get("established") != connections for r in lo):
                problems.append(f"{name}: not every connection was established: {[r.get('established') for r in lo]}")
        if rate:
            lo = results.get((name, "loadops"), [])
            wr = results.get((name, "wrk -t2"), [])
            if lo and wr:
                p50_gap = abs(statistics.median([r["p50"] for r in lo if r["p50"] is not None] or [0])
                              - statistics.median([r["p50"] for r in wr if r["p50"] is not None] or [0]))
                cpu = statistics.median([r["cpu"] for r in lo])
                achieved = statistics.median([r['achieved'] for r in lo])
                per_ten = cpu * 10 / seconds
                lines.append(f"Open model: achieved {achieved:,.1f} requests/s "
                             f"against a target of {rate}; p50 differs from wrk's by {p50_gap:.3f} ms; "
                             f"loadops spent {cpu:.2f} CPU-seconds doing so ({cpu / seconds * 100:.1f}% of one core; "
                             f"target ≤ {OPEN_MODEL_CPU_TARGET:.1f} CPU-seconds per 10 s"
                             + ("" if per_ten <= OPEN_MODEL_CPU_TARGET else ", **missed**") + ").")
                if not args.quick and per_ten > OPEN_MODEL_CPU_TARGET:
                    problems.append(f"{name}: {per_ten:.2f} CPU-seconds per 10 s, above {OPEN_MODEL_CPU_TARGET:.1f}")
                if not args.quick and (abs(achieved - rate) > rate * 0.01 or p50_gap > 0.3):
                    problems.append(f"{name}: achieved {achieved:.1f}/s (target within 1% of {rate}), p50 gap {p50_gap:.3f} ms (≤ 0.3)")
                lines.append("")
                floor_runs = results.get((name, FLOOR_NAME), [])
                floor_cpu = statistics.median([r["cpu"] for r in floor_runs]) if floor_runs else 0
                if floor_cpu > 0:
                    lines.append(f"Against the {FLOOR_NAME}, {floor_cpu * 10 / seconds:.2f} CPU-seconds per 10 s "
                                 "(one keep-alive connection, a request sent at each exact arrival time, a wake-up for "
                                 "each answer, nothing else: the usual design of an open-model generator with none of "
                                 f"a generator's own work), loadops spent **{cpu / floor_cpu:.2f}×** its CPU.")
                    deferred_runs = results.get((name, FLOOR_DEFERRED_NAME), [])
                    if deferred_runs:
                        deferred_cpu = statistics.median([r["cpu"] for r in deferred_runs])
                        lines.append(f"Reading each answer at the next arrival's wake-up instead (one wake-up per request, "
                                     f"as loadops does), the same loop spends {deferred_cpu * 10 / seconds:.2f}: no "
                                     f"generator that sends each request at its exact time spends much less here.")
                else:
                    lines.append(f"The {FLOOR_NAME} was not run" + (f": {floor_note}." if floor_note else "."))
                lines.append("")
    if not args.quick:
        # Memory must not grow with duration: no per-request samples, fixed-size histograms.
        nginx2 = Nginx(workdir)
        tools.nginx = nginx2
        try:
            short = tools.loadops(50, seconds)
            long = tools.loadops(50, 60)
        finally:
            nginx2.stop()
        ratio = long["rss"] / short["rss"] if short["rss"] else 0
        lines.append("## Memory against duration")
        lines.append("")
        lines.append(f"loadops, 50 connections: peak RSS {short['rss']:.1f} MB over {seconds} s "
                     f"({short['requests']:,} requests) and {long['rss']:.1f} MB over 60 s ({long['requests']:,} requests): "
                     f"ratio {ratio:.2f} (target ≤ 1.10).")
        lines.append("")
        if ratio > 1.10:
            problems.append(f"peak RSS grew with duration: {ratio:.2f}×")
    if problems:
        lines.append("## Problems seen")
        lines.append("")
        lines.extend(f"- {p}" for p in problems)
        lines.append("")
    report = "\n".join(lines)
    print()
    print(report)
    output = args.output or (None if args.quick else os.path.join(ROOT, "BENCHMARKS.md"))
    if output:
        with open(output, "w") as f:
            f.write(report)
        print(f"written to {output}")
    shutil.rmtree(workdir, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
