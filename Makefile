# The two commands of the README:  make demo   and   make test
SWIFT ?= swift
BIN    = .build/debug/uservault

.PHONY: demo test build build-tests bench sanitize sanitize-thread sanitize-address clean-demo

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

clean-demo:
	rm -rf .uservault
