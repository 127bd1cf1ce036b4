# The two commands of the README:  make demo   and   make test
SWIFT ?= swift
BIN    = .build/debug/uservault
# make test builds with coverage instrumentation in a build folder of its own: the same flags
# for its build and its test run (nothing is built twice), and `swift build` / make demo keep
# an uninstrumented .build (switching flags in one folder would rebuild every dependency).
COVERAGE_BUILD = --scratch-path .build-coverage --enable-code-coverage

.PHONY: demo test build build-tests bench fuzz sanitize sanitize-thread sanitize-address clean-demo

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

## sanitize: the suite under ThreadSanitizer, then under AddressSanitizer (with LeakSanitizer), each in
## its own build folder (.build-tsan, .build-asan); fails on a failed test or on any sanitizer report
## (scripts/sanitizers/run.sh; about an hour and a half on 2 cores; not part of test)
sanitize:
	@scripts/bootstrap.sh --test
	@status=0; SWIFT=$(SWIFT) scripts/sanitizers/run.sh thread || status=1; SWIFT=$(SWIFT) scripts/sanitizers/run.sh address || status=1; exit $$status

sanitize-thread sanitize-address: sanitize-%:
	@scripts/bootstrap.sh --test
	SWIFT=$(SWIFT) scripts/sanitizers/run.sh $*

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
