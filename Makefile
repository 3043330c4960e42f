# Thin wrapper: everything real lives in CMake, scripts/ and the scalelab binary.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: deps build demo test test-unit test-netns test-kernel clean-clusters package

deps:
	bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	bash scripts/demo.sh $(BUILD)

# Every tier: unit (no privileges), netns (root, this kernel), kernel (root, in a VM).
test: build
	bash scripts/run-tests.sh $(BUILD)

test-unit: build
	bash scripts/run-tests.sh $(BUILD) unit

test-netns: build
	bash scripts/run-tests.sh $(BUILD) netns

test-kernel: build
	bash scripts/run-tests.sh $(BUILD) kernel

clean-clusters:
	$(BUILD)/scalelab clean

# build/scalelab_<version>_<arch>.deb: binaries, library, headers, man pages, completion, topologies.
package: build
	cd $(BUILD) && cpack
