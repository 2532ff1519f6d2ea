# libvirt-kunpeng front door. See README.md.
#
#   make            install build deps, fetch libvirt, assemble build/libvirt, build,
#                   make the Python binding in build/python
#   make check      the above, then unit tests, syntax-check and e2e tests
#   make demo       build, then walk through the features with virsh and real QEMU
#   make bench      this build against Debian's stock libvirt and raw QMP, as ratios
#   make refresh    write the commits in build/libvirt back to patches/
#   make check-series  build and unit-test every prefix of the series (slow)
#   make check-sanitize  the unit tests again, built with ASan and UBSan
#   make fuzz       fuzz the project's domain XML with libFuzzer (clang) for
#                   FUZZ_SECONDS (default 300)
#   make install    install into PREFIX (default /usr/local), Python binding included

PREFIX ?= /usr/local
export PREFIX

.PHONY: all deps assemble build guest check unit syntax-check e2e demo bench \
	refresh reassemble install clean check-series check-sanitize fuzz

all: build

deps:
	@scripts/deps.sh

assemble: deps
	@scripts/assemble.sh

build: assemble
	@scripts/build.sh
	@scripts/build-python-binding.sh

guest: deps
	@scripts/fetch-guest.sh
	@scripts/fetch-qemu-backports.sh

check: build guest
	@scripts/check.sh all

unit: build
	@scripts/check.sh unit

syntax-check: build
	@scripts/check.sh syntax-check

e2e: build guest
	@scripts/check.sh e2e

demo: build guest
	@scripts/demo.sh

bench: build guest
	@bench/run.sh

refresh:
	@scripts/refresh.sh

check-series: build
	@scripts/check-series.sh

check-sanitize: build
	@scripts/check-sanitize.sh

fuzz: build
	@scripts/fuzz.sh

# Throw the assembled tree away and build it again from patches/.
reassemble: deps
	rm -rf build/libvirt
	@scripts/assemble.sh
	@scripts/build.sh
	@scripts/build-python-binding.sh

install: build
	meson install -C build/libvirt/build $(if $(DESTDIR),--destdir $(DESTDIR))
	@DESTDIR="$(DESTDIR)" scripts/build-python-binding.sh --install

clean:
	rm -rf build
