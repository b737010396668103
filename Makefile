# loadops — build, demo, tests. A fresh machine needs only `make demo` and `make test`:
# every target installs what it needs that is missing.
SWIFT ?= swift
APT_PACKAGES = nginx postgresql redis-server openssl chromium chromium-driver
BENCH_APT_PACKAGES = nginx wrk hey apache2-utils openssl
PIP_PACKAGES = locust selenium

.PHONY: build release install install-binary demo test bench bench-smoke instructions deps deps-apt deps-bench deps-pip clean

deps: deps-apt deps-pip

# Debian packages the tests use: nginx, PostgreSQL and Redis (servers nobody here wrote), openssl
# (the tests' self-signed certificates), and Chromium with its WebDriver (the HTML report opened in a real browser).
deps-apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# The tools `make bench` measures loadops against.
deps-bench:
	@$(MAKE) --no-print-directory deps-apt APT_PACKAGES="$(BENCH_APT_PACKAGES)"

# Python packages the tests use: a real Locust to compare CSV formats against, and Selenium to drive
# Chromium (each package's module has its name).
deps-pip:
	@missing=""; for p in $(PIP_PACKAGES); do python3 -c "import $$p" 2>/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing from PyPI:$$missing"; python3 -m pip install -q $$missing; fi

build:
	$(SWIFT) build

# Release builds skip Swift's run-time exclusivity checks in every module, SwiftNIO's included:
# they cost the generator about a fifth of its instructions per request (`make instructions`).
# Debug builds, which the tests use, keep them, so a violation still fails `make test`.
RELEASE_FLAGS = -c release -Xswiftc -enforce-exclusivity=unchecked

release:
	$(SWIFT) build $(RELEASE_FLAGS)

# The release build as $(PREFIX)/bin/loadops (default /usr/local/bin/loadops): cron's PATH is short,
# so cron lines name it in full.
PREFIX ?= /usr/local
install: release
	@$(MAKE) --no-print-directory install-binary BIN_DIR="$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)"

install-binary:
	install -d "$(DESTDIR)$(PREFIX)/bin"
	install -m 0755 "$(BIN_DIR)/loadops" "$(DESTDIR)$(PREFIX)/bin/loadops"

# The built-in target on loopback plus the whole pipeline, results in load_test_reports/.
demo: release
	"$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/loadops" demo

test: deps deps-bench build
	$(SWIFT) test --no-parallel
	@$(MAKE) --no-print-directory bench-smoke

# loadops against wrk, hey, ab and Locust, side by side on a private nginx: writes BENCHMARKS.md.
bench: deps deps-bench release
	python3 Tests/Benchmarks/generator_bench.py $(if $(BENCH_QUICK),--quick) $(if $(BENCH_BASELINE),--baseline-binary "$(BENCH_BASELINE)") --binary "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/loadops"

# BENCH_BASELINE=path/to/older/loadops make bench: that build measured side by side with this one.
# BENCH_QUICK=1 make bench: a couple of seconds per tool. `make test` runs the same smoke run on the
# debug build, so the benchmark cannot silently rot.
# Instructions per request for loadops and wrk, counted by valgrind's callgrind: repeatable where
# timings on a shared machine are not. INSTRUCTIONS_BINARY=path/to/loadops measures another build.
instructions: deps-bench release
	@$(MAKE) --no-print-directory deps-apt APT_PACKAGES="valgrind gcc binutils"
	bash Tests/Benchmarks/instructions.sh "$(or $(INSTRUCTIONS_BINARY),$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/loadops)"

bench-smoke:
	python3 Tests/Benchmarks/generator_bench.py --quick --binary "$$($(SWIFT) build --show-bin-path)/loadops"

clean:
	rm -rf .build
