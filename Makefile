# The two set-up commands of the README:
#   make demo   installs what is missing, builds, writes the synthetic corpus with tf-data and
#               trains configs/tiny.yaml on it through the indexed-dataset reader
#   make test   installs what is missing, builds, runs every test
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: deps build demo test clean

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@mkdir -p $(BUILD)/demo
	$(BUILD)/launcher/tf-data synth --output $(BUILD)/demo/synth
	$(BUILD)/launcher/tf-launch --config configs/tiny.yaml --set 'data.train=[{path: $(BUILD)/demo/synth}]'

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD)
