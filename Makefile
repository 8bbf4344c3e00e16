# Build, test and run the graph-transform tool. `make help` lists the targets.
SWIFT ?= swift
BIN := .build/release
EXAMPLE_OUT := out/tf1_classic_optimized.pb

.PHONY: help deps build test fuzz example conformance benchmark docs clean

help:
	@echo "make example      build, then run transform_graph on the bundled example graph"
	@echo "make test         run all unit and CLI tests, a short fuzz smoke run, then the CLI on fuzz-made graphs"
	@echo "make fuzz         fuzz every target for at least 1M executions (FUZZING.md)"
	@echo "make conformance  compare against TensorFlow's own engine (installs tensorflow-cpu into ~/.venvs/tf)"
	@echo "make docs         regenerate docs/TRANSFORMS.md from the transform registry"
	@echo "make benchmark    time transform_graph on ResNet-50 beside cp and TensorFlow (BENCHMARKS.md)"

deps:
	@Scripts/install-deps.sh

# The Swift runtime is linked in: the tools then run on machines without a Swift
# toolchain, and a run starts about 4 ms sooner (no dynamic loading and binding of the
# runtime libraries), a tenth of a small graph's quantize_weights. Each binary is about
# 40 MB instead of 20.
#
# So are libstdc++ (which the runtime needs) and libgcc: loading and relocating them took
# another 1.5 ms of every run (a tenth of MobileNetV3-Small's quantize_weights). The
# linker finds libstdc++.a first in STATIC_CXX, a directory holding only a link to it;
# where clang cannot name the archive, the link falls back to the shared library. glibc stays shared: a
# static glibc cannot safely dlopen OpenBLAS (--verify), which crashes once it starts
# threads, and a static-PIE link (ASLR kept) gained only a millisecond more.
STATIC_CXX := .build/static-cxx
RELEASE := -c release --static-swift-stdlib -Xlinker -L$(abspath $(STATIC_CXX)) \
  -Xswiftc -Xclang-linker -Xswiftc -static-libgcc

$(STATIC_CXX)/.made:
	@mkdir -p $(STATIC_CXX)
	@archive=$$(clang -print-file-name=libstdc++.a 2>/dev/null); \
	  if [ -f "$$archive" ]; then ln -sf "$$archive" $(STATIC_CXX)/libstdc++.a; fi; touch $@

build: deps $(STATIC_CXX)/.made
	$(SWIFT) build $(RELEASE) --product transform_graph
	$(SWIFT) build $(RELEASE) --product summarize_graph
	$(SWIFT) build $(RELEASE) --product convert_graphdef_memmapped_format
	$(SWIFT) build $(RELEASE) --product compare_graphs

test: deps
	$(SWIFT) test
	SWIFT=$(SWIFT) Scripts/fuzz.sh smoke
	Scripts/adversarial.sh .build/debug 40

fuzz: deps
	SWIFT=$(SWIFT) Scripts/fuzz.sh campaign $(or $(FUZZ_RUNS),1000000)

example: build
	@mkdir -p out
	$(BIN)/transform_graph --in_graph=examples/tf1_classic.pb --out_graph=$(EXAMPLE_OUT) \
	  --inputs=image --outputs=probabilities --transforms_file=examples/tf1_classic.transforms --verify
	$(BIN)/summarize_graph --in_graph=$(EXAMPLE_OUT)

conformance: build
	Scripts/conformance.sh

docs: deps
	UPDATE_TRANSFORM_DOCS=1 $(SWIFT) test --filter TransformDocumentationTests

benchmark: build
	Scripts/benchmark.sh

clean:
	rm -rf .build .build-fuzz out
