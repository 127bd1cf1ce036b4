# The two commands of the README:  make demo   and   make test
SWIFT ?= swift
BIN    = .build/debug/uservault

.PHONY: demo test build build-tests bench fuzz clean-demo

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

## fuzz: every fuzz target under libFuzzer + AddressSanitizer, FUZZ_SECONDS (60) each; FUZZ_TARGETS picks (not part of test)
fuzz:
	@scripts/bootstrap.sh
	Fuzz/run.sh

clean-demo:
	rm -rf .uservault
