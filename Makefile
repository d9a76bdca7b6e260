# Loom — the two commands a new user runs: `make sample` and `make test`.
SWIFT ?= swift
RELEASE_LOOM := .build/release/loom
DEBUG_LOOM := .build/debug/loom

.PHONY: all deps build release install sample test check-fixtures fixtures bench fuzz sanitize clean

all: build

## deps: install the missing system -dev packages (libjpeg-turbo, libpng, zlib, SQLite, xxHash, pkg-config), the sqlite3 and xxhsum CLIs, and fetch the MiniLM weights once
deps:
	@scripts/install-deps.sh
	@scripts/fetch-minilm.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

## install: loom, the loom-<stage> tools, the models and pipelines under PREFIX (default /usr/local)
PREFIX ?= /usr/local
install: release
	scripts/install.sh $(PREFIX) .build/release

## sample: build, run Pipelines/sample.yaml on SampleData, show what it made, an example query and a free-text one
sample: release
	$(RELEASE_LOOM) run Pipelines/sample.yaml
	$(RELEASE_LOOM) status --pipeline Pipelines/sample.yaml
	$(RELEASE_LOOM) eval --work work --model $${LOOM_MODELS:-models}/loomnet-sample --json out/eval-test.json
	python3 scripts/example-query.py work/catalog.sqlite
	$(RELEASE_LOOM) query --index out/index.sqlite --asin $$(python3 scripts/example-query.py --anchor work/catalog.sqlite) --type shoes --k 5
	$(RELEASE_LOOM) query --index out/index.sqlite --text "navy trench coat" --k 3
	$(RELEASE_LOOM) query --index out/index.sqlite --text "navy trench coat" --complements --type shoes --k 3
	@echo "report: out/report.html (the run as one page: open it in a browser)"

## test: the module graph, unit tests (with a single-node Slurm they start), then check that SampleData regenerates byte for byte
test: build
	scripts/install-deps.sh --test
	python3 -c 'import sqlite_vec' 2>/dev/null || python3 -m pip install --quiet sqlite-vec 2>/dev/null \
		|| python3 -m pip install --quiet --break-system-packages sqlite-vec
	scripts/check-module-graph.py
	$(SWIFT) test
	scripts/check-fixtures.sh $(DEBUG_LOOM)

check-fixtures: build
	scripts/check-fixtures.sh $(DEBUG_LOOM)

## fixtures: regenerate SampleData (deterministic: twice gives the same bytes)
fixtures: build
	$(DEBUG_LOOM) sample-data --out SampleData

## bench: throughput figures, release build
bench: deps
	@scripts/install-bench-peers.sh
	$(SWIFT) build -c release --product loom
	$(SWIFT) build -c release --product loom-bench
	.build/release/loom-bench

## fuzz: libFuzzer with AddressSanitizer on each reader of user data (record parsers, image decoders, safetensors, pipeline files, index files), FUZZ_SECONDS each (default 60); not part of test
fuzz: deps
	scripts/fuzz.sh

## sanitize: the whole test suite under AddressSanitizer (Swift and C) and UndefinedBehaviorSanitizer (the C targets,
## trapping: Swift has no UBSan on Linux, and checks overflow and bounds itself), then the multithreaded stages and kernels
## under ThreadSanitizer; not part of test
sanitize: deps
	scripts/install-deps.sh --test
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --scratch-path .build-sanitize --sanitize=address \
		-Xcc -fsanitize=undefined -Xcc -fsanitize-trap=undefined
	TSAN_OPTIONS=halt_on_error=1 $(SWIFT) test --scratch-path .build-tsan --sanitize=thread \
		--filter 'ImagesStageTests|TextStageTests|FeaturesStageTests|EmbedStageTests|TripletStageTests|IndexStageTests|VectorSearchTests|KernelTests|TrainerTests|RecordReaderTests|ReadAheadFileTests'

clean:
	rm -rf .build .build-fuzz .build-sanitize .build-tsan work out fuzz
