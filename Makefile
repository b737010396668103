# loadops — build, demo, tests. A fresh machine needs only `make demo` and `make test`:
# every target installs what it needs that is missing.
SWIFT ?= swift
APT_PACKAGES = nginx
PIP_PACKAGES = locust

.PHONY: build release demo test deps deps-apt deps-pip clean

deps: deps-apt deps-pip

# Debian packages the tests use: nginx (a server nobody here wrote).
deps-apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# Python packages the tests use: a real Locust to compare CSV formats against.
deps-pip:
	@python3 -c "import locust" 2>/dev/null || { echo "installing Locust from PyPI"; python3 -m pip install -q $(PIP_PACKAGES); }

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release

# The built-in target on loopback plus the whole pipeline, results in load_test_reports/.
demo: release
	"$$($(SWIFT) build -c release --show-bin-path)/loadops" demo

test: deps build
	$(SWIFT) test --no-parallel

clean:
	rm -rf .build
