# The two set-up commands of the README:
#   make demo   installs what is missing, builds, writes the synthetic corpus with tf-data and
#               trains configs/tiny.yaml on it through the indexed-dataset reader
#   make test   installs what is missing, builds (with the fuzz targets, by clang), runs every
#               test
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: deps build demo test clean

# ccache (when installed) shares compiled objects between builds and clones: paths under the
# checkout are hashed relative to it, the build directory's own path is left out, and the
# precompiled headers every target uses are cached too (ccache's "PRECOMPILED HEADERS").
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
export CCACHE_SLOPPINESS := pch_defines,time_macros,include_file_mtime,include_file_ctime

deps:
	@scripts/install-deps.sh

# RelWithDebInfo: -O2 -g1 (CMakeLists.txt).
build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
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
