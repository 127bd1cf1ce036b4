# The two commands of the README:  make demo   and   make test
SWIFT ?= swift
BIN    = .build/debug/uservault

.PHONY: demo test build build-tests bench clean-demo

## demo: seed the embedded store and show it (installs build dependencies when missing)
demo:
	@scripts/bootstrap.sh
	$(SWIFT) build --product uservault
	$(BIN) demo

## test: every test (installs build and test dependencies when missing)
test:
	@scripts/bootstrap.sh --test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## bench: the release-build benchmark of the issues' speed sections (minutes; not part of test)
bench:
	@scripts/bootstrap.sh
	Benchmarks/run.sh

clean-demo:
	rm -rf .uservault
