# The two commands of the README:  make demo   and   make test
SWIFT ?= swift
BIN    = .build/debug/uservault
# make test builds with coverage instrumentation in a build folder of its own: the same flags
# for its build and its test run (nothing is built twice), and `swift build` / make demo keep
# an uninstrumented .build (switching flags in one folder would rebuild every dependency).
COVERAGE_BUILD = --scratch-path .build-coverage --enable-code-coverage

.PHONY: demo test build build-tests bench fuzz clean-demo

## demo: seed the embedded store and show it (installs build dependencies when missing)
demo:
	@scripts/bootstrap.sh
	$(SWIFT) build --product uservault
	$(BIN) demo

## test: every test, then line coverage per module of Sources/ checked against
## scripts/coverage-floors.txt (report: coverage/html/index.html); installs build and test
## dependencies when missing
test:
	@scripts/bootstrap.sh --test
	$(SWIFT) build --build-tests $(COVERAGE_BUILD)
	$(SWIFT) test --skip-build $(COVERAGE_BUILD)
	scripts/coverage.py --bin-path .build-coverage/debug

## bench: the release-build benchmark of the issues' speed sections (minutes; not part of test)
bench:
	@scripts/bootstrap.sh
	Benchmarks/run.sh

## fuzz: every fuzz target under libFuzzer + AddressSanitizer, FUZZ_SECONDS (60) each; FUZZ_TARGETS picks (not part of test)
fuzz:
	@scripts/bootstrap.sh
	Fuzz/run.sh

clean-demo:
	rm -rf .uservault
