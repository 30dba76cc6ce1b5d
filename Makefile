# tabtune. Start with:
#   make run    build the command line and tune a matmul end to end (a few minutes)
#   make test   everything CI checks: formatting, vet, tests, the js/wasm build
#
# Go modules come from the module proxy (wazero); bench/peer installs npm
# packages on first use.

GO ?= go

# The example of `make run`: a real tuning run of a 512x512x512 matmul on
# wasm-simd, measured in-process with wazero, then the best kernel's loop
# nest and its speed against the naive schedule.
TUNE := -workload gmm:M=512,N=512,K=512 -target wasm-simd -measurer wazero -trials 192 -batch 64 -population 512 -baseline

# The portable core: it must build for GOOS=js GOARCH=wasm (DESIGN.md, rule 1).
PORTABLE := ./compiler/... ./targets/... ./search/...

# Fuzz targets, as Name:package; `make fuzz` runs each for FUZZTIME.
FUZZ_TARGETS := FuzzParse:./compiler/te FuzzReplay:./compiler/schedule FuzzLower:./compiler/lower
FUZZTIME ?= 30s

# gofmt from the same toolchain as $(GO), found lazily.
GOFMT = $$($(GO) env GOROOT)/bin/gofmt

.PHONY: run test check setup fmt vet unit wasm jstest bench fuzz peer

run: bin/tabtune
	bin/tabtune tune $(TUNE)

# Always rebuilt: go build is incremental and knows what changed.
.PHONY: bin/tabtune
bin/tabtune:
	$(GO) build -o bin/tabtune ./cmd/tabtune

test: setup fmt vet unit wasm jstest

check: test

setup:
	@command -v $(GO) >/dev/null || { echo "make: $(GO) not found; install Go 1.26 or add /usr/local/go/bin to PATH" >&2; exit 1; }
	$(GO) version

fmt:
	@echo "gofmt -l ."
	@files=$$($(GOFMT) -l .); if [ -n "$$files" ]; then \
		echo "these files need gofmt -w:"; echo "$$files"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test ./...

wasm:
	GOOS=js GOARCH=wasm $(GO) build $(PORTABLE)

# The flows every front end runs, compiled for js/wasm and run under node
# as the browser engine will run them: a short tune with a fake measurer.
JS_TESTS := ./search/flow ./targets/browser
jstest:
	@if command -v node >/dev/null; then \
		echo "GOOS=js GOARCH=wasm $(GO) test $(JS_TESTS) (in node)"; \
		GOOS=js GOARCH=wasm $(GO) test -exec="$$($(GO) env GOROOT)/lib/wasm/go_js_wasm_exec" $(JS_TESTS); \
	elif [ "$${CI:-}" = true ]; then echo "jstest: node is missing (apt-get install nodejs)" >&2; exit 1; \
	else echo "SKIP jstest: node not installed, so the flows are not tested as WebAssembly"; fi

# Go benchmarks of the compiler (lowering, the interpreter, kernels in
# wazero) and of the search (feature extraction, the model, one
# evolutionary round natively and, when node is installed, as
# WebAssembly under GOOS=js), then the kernel benchmark: hand schedules in wazero
# and node, the naive schedule, and XNNPACK (tfjs-backend-wasm) in the same
# node; then the search benchmark: model-guided and random search, 512
# trials each, on GMM 1024 and C2D in node, against the hand schedules and
# XNNPACK (about half an hour on two cores).
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./compiler/... ./search/...
	@if command -v node >/dev/null; then \
		echo "GOOS=js GOARCH=wasm $(GO) test -bench=RoundC2D ./search/tune (in node)"; \
		GOOS=js GOARCH=wasm $(GO) test -exec="$$($(GO) env GOROOT)/lib/wasm/go_js_wasm_exec" -run='^$$' -bench=RoundC2D ./search/tune; \
	else echo "node not found: skipping the search round under GOOS=js"; fi
	$(GO) run ./bench/kernels
	$(GO) run ./bench/search

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		name=$${t%%:*}; pkg=$${t#*:}; \
		if ! grep -qs "func $$name(" $$pkg/*_test.go; then \
			echo "skipping $$name: no such fuzz target in $$pkg yet"; continue; fi; \
		echo "$(GO) test -run='^\$$' -fuzz='^$$name\$$' -fuzztime=$(FUZZTIME) $$pkg"; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $$pkg; \
	done

# The peer alone: XNNPACK (tfjs-backend-wasm) and the f32x4 peak in node.
peer:
	bench/peer/run.sh
