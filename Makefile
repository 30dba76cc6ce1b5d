# tabtune. Start with:
#   make run    build everything and serve the app (tabtune serve): open the
#               address it prints and tune in the browser tab
#   make test   everything CI checks: formatting, vet, tests, the js/wasm build
#
# Go modules come from the module proxy (wazero); bench/peer installs npm
# packages on first use.

GO ?= go

# The portable core: it must build for GOOS=js GOARCH=wasm (DESIGN.md, rule 1).
PORTABLE := ./compiler/... ./targets/... ./search/...

# How long `make fuzz` runs each fuzz target.
FUZZTIME ?= 30s

# gofmt from the same toolchain as $(GO), found lazily.
GOFMT = $$($(GO) env GOROOT)/bin/gofmt

.PHONY: run test check setup fmt vet unit wasm jstest bench fuzz peer

# The app on loopback; LISTEN picks another address (tabtune serve -listen).
LISTEN ?= 127.0.0.1:8080
run: bin/tabtune
	bin/tabtune serve -listen $(LISTEN)

# Always rebuilt: go build is incremental and knows what changed. The app
# (make web) is embedded into it.
.PHONY: bin/tabtune
bin/tabtune: web
	$(GO) build -o bin/tabtune ./cmd/tabtune

# The app that tabtune serve serves, into the folder that package
# wasm/engine/web embeds: one binary for the page and the engine's worker
# (wasm/engine: the UI of ui/, generated from its .vugu files by vugugen,
# and the engine), the Go runtime's wasm_exec.js, and vugu's render helper
# (vugu-render.js, loaded as a script since the page allows no eval).
WEB_DIST := wasm/engine/web/dist
.PHONY: web
web:
	$(GO) tool vugugen -skip-go-mod -skip-main ui
	$(GOFMT) -w ui/*_gen.go
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -o $(WEB_DIST)/engine.wasm ./wasm/engine
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" $(WEB_DIST)/wasm_exec.js
	$(GO) run ./ui/internal/renderjs "$$($(GO) list -m -f '{{.Dir}}' github.com/vugu/vugu)" > $(WEB_DIST)/vugu-render.js

test: setup fmt vet unit wasm jstest e2e

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

unit: web
	$(GO) test ./...

wasm:
	GOOS=js GOARCH=wasm $(GO) build $(PORTABLE)

# The app end to end in headless Chromium (Debian's chromium, driven by
# playwright-core from npm, never a downloaded browser) against tabtune
# serve on loopback: see e2e/README.md.
CHROMIUM ?= /usr/bin/chromium
.PHONY: e2e
e2e: bin/tabtune
	@if [ -x "$(CHROMIUM)" ] && command -v npm >/dev/null; then \
		cd e2e && npm ci --no-audit --no-fund --loglevel=error && \
		TABTUNE=../bin/tabtune CHROMIUM=$(CHROMIUM) node --test --test-reporter=spec; \
	elif [ "$${CI:-}" = true ]; then echo "e2e: $(CHROMIUM) or npm is missing (apt-get install chromium npm)" >&2; exit 1; \
	else echo "SKIP e2e: $(CHROMIUM) or npm not installed (apt-get install chromium npm), so the app is not tested in a browser"; fi

# The flows every front end runs, the engine's message API and the browser
# measurer, compiled for js/wasm and run under node as the browser engine
# runs them.
JS_TESTS := ./search/flow ./wasm/engine/api ./targets/browser
jstest:
	@if command -v node >/dev/null; then \
		echo "GOOS=js GOARCH=wasm $(GO) test $(JS_TESTS) (in node)"; \
		GOOS=js GOARCH=wasm $(GO) test -exec="$$($(GO) env GOROOT)/lib/wasm/go_js_wasm_exec" $(JS_TESTS); \
	elif [ "$${CI:-}" = true ]; then echo "jstest: node is missing (apt-get install nodejs)" >&2; exit 1; \
	else echo "SKIP jstest: node not installed, so the flows are not tested as WebAssembly"; fi

# wabt's wasm-validate and wasm2wat check the WebAssembly encoder against
# an independent implementation (internal/wabt). Without them those tests
# skip, and go test ./... does not show it, so this says so; with CI=true
# the tests fail instead, and so does this.
.PHONY: wabt
test: wabt
wabt:
	@missing=; for tool in wasm-validate wasm2wat; do \
		command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -z "$$missing" ]; then echo "wabt $$(wasm-validate --version): the encoder is checked against wabt"; \
	elif [ "$$CI" = true ]; then echo "FAIL wabt:$$missing not installed (apt-get install wabt) and CI=true" >&2; exit 1; \
	else echo "SKIP wabt:$$missing not installed (apt-get install wabt); the encoder is not checked against wabt"; fi

# Go benchmarks of the compiler (lowering, the interpreter, kernels in
# wazero) and of the search (feature extraction, the model, one
# evolutionary round natively and, when node is installed, as
# WebAssembly under GOOS=js), then the kernel benchmark: hand schedules in wazero
# and node, the naive schedule, and XNNPACK (tfjs-backend-wasm) in the same
# node; then the search benchmark: model-guided and random search, 512
# trials each, on GMM 1024 and C2D in node, against the hand schedules and
# XNNPACK (about half an hour on two cores); then the CPU benchmark: GMM
# 1024 and C2D tuned as native C on 1 and 2 threads against OpenBLAS,
# oneDNN and Halide 14's Adams2019 and Mullapudi2016 auto-schedulers
# (bench/cpu; apt-get install libopenblas-dev libdnnl-dev libhalide14-0-dev g++);
# then the zoo benchmark: every operator of the zoo at its default shape and
# two network layers, tuned in node (256 trials) and re-timed beside XNNPACK
# and onnxruntime-web in the same node, with the engine's f32x4 peak and
# copy bandwidth (bench/zoo; the whole zoo takes many hours on two cores:
# ZOOFLAGS='-trials 64 -ops gmm,softmax -shapes 0' runs a part).
ZOOFLAGS ?=
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./compiler/... ./search/...
	@if command -v node >/dev/null; then \
		echo "GOOS=js GOARCH=wasm $(GO) test -bench=RoundC2D ./search/tune (in node)"; \
		GOOS=js GOARCH=wasm $(GO) test -exec="$$($(GO) env GOROOT)/lib/wasm/go_js_wasm_exec" -run='^$$' -bench=RoundC2D ./search/tune; \
	else echo "node not found: skipping the search round under GOOS=js"; fi
	$(GO) run ./bench/kernels
	$(GO) run ./bench/search
	$(GO) run ./bench/cpu
	$(GO) run ./bench/zoo $(ZOOFLAGS)
	$(MAKE) bench-browser

# Tuning in a Chromium tab: GMM 1024 for 256 trials measured in the page,
# the best re-timed in the page and in node, XNNPACK in the same page, and
# what the page loads (bench/browser/run.mjs; 10-20 minutes).
.PHONY: bench-browser
bench-browser: bin/tabtune
	cd bench/browser && npm ci --no-audit --no-fund --loglevel=error && CHROMIUM=$(CHROMIUM) node run.mjs

# Every fuzz target, as go test -list finds them (a package's targets,
# then its "ok <package>" line), each run for FUZZTIME.
fuzz:
	@list=$$($(GO) test -list '^Fuzz' ./...) || { echo "$$list"; exit 1; }; \
	targets=$$(echo "$$list" | awk '/^Fuzz/ { n[++k] = $$1 } /^ok/ { for (i = 1; i <= k; i++) print $$2 ":" n[i]; k = 0 }'); \
	[ -n "$$targets" ] || { echo "make fuzz: go test -list found no fuzz target" >&2; exit 1; }; \
	echo "fuzz targets:" $$(echo "$$targets" | sed 's/.*://'); \
	for t in $$targets; do pkg=$${t%%:*}; name=$${t#*:}; \
		echo "$(GO) test -run='^\$$' -fuzz='^$$name\$$' -fuzztime=$(FUZZTIME) $$pkg"; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	done

# The peer alone: XNNPACK (tfjs-backend-wasm), the f32x4 peak and the
# bandwidth of a copy in node.
peer:
	bench/peer/run.sh --workloads gmm,c2d,peak,copy
