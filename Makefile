# The two set-up commands of the README:
#   make demo   installs what is missing, builds, writes the synthetic corpus with tf-data and
#               trains configs/tiny.yaml on it through the indexed-dataset reader
#   make test   installs what is missing, builds (with the fuzz targets, by clang), runs every
#               test
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: deps build demo test clean

deps:
	@scripts/install-deps.sh

# -g1: function names and line tables (enough for backtraces) at about two thirds of the compile
# time of full debug information.
build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@mkdir -p $(BUILD)/demo
	$(BUILD)/launcher/tf-data synth --output $(BUILD)/demo/synth
	$(BUILD)/launcher/tf-launch --config configs/tiny.yaml --set 'data.train=[{path: $(BUILD)/demo/synth}]'

test: CMAKE_ARGS = -DTF_BUILD_FUZZ=ON
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD)
