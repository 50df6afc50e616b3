# vcompound: a Linux 6.12 patch series and the harness that proves it.
# The series in series/ is canonical; build/ holds everything generated.
# See README.md. All targets install the Debian packages they need.

.PHONY: help setup base apply export roundtrip checkpatch bisect build \
	boot run kunit kunit-x86 test selftest bench matrix stress mutants clean

CONFIG ?= qemu

help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

## make run         the main job: fetch base, apply series, build the CONFIG_FALLBACK_ALWAYS kernel, boot it under QEMU, run the tests, print a summary
run: setup
	harness/run.sh $(CONFIG)

## make test        the whole test suite (what CI runs); last line "N passed, N failed"
test: setup
	harness/test.sh

## make setup       install the Debian packages the harness needs (idempotent)
setup:
	harness/setup.sh

## make base        download, verify and unpack the pinned base tree (cached)
base: setup
	harness/fetch-base.sh

## make apply       materialise build/linux = base + git am series/*  (FORCE=1 discards local commits)
apply: setup
	harness/apply.sh $(if $(FORCE),--force)

## make export      write build/linux's commits back to series/ and the tree-form copies
export:
	harness/export.sh

## make roundtrip   apply, export, and fail if anything in the repository changed
roundtrip: apply
	harness/roundtrip.sh

## make checkpatch  scripts/checkpatch.pl --strict on every patch
checkpatch: apply
	harness/checkpatch.sh

## make bisect      build every prefix of the series (bisectability), in harness/configs/bisect.conf (BISECT_CONFIG=NAME for another)
BISECT_CONFIG ?= bisect
bisect: apply
	harness/bisect.sh $(BISECT_CONFIG)

## make build       build the kernel in CONFIG (default qemu; see harness/configs/*.conf)
build: apply
	harness/build-kernel.sh $(CONFIG)

## make boot        boot the CONFIG kernel under QEMU and run the guest tests
boot:
	harness/boot.sh $(CONFIG)

## make kunit       the KUnit suite on UML (kunit.py); make kunit-x86 for --arch=x86_64
kunit: apply
	harness/kunit.sh
kunit-x86: apply
	harness/kunit.sh --arch=x86_64

## make bench       build the benchmark kernel, run the in-kernel benchmark under QEMU, write build/out/bench/bench.{md,png}
bench: apply
	harness/bench/tree.sh
	VC_LINUX=$(CURDIR)/build/bench-linux harness/build-kernel.sh bench
	VC_LINUX=$(CURDIR)/build/bench-linux harness/bench/run.sh bench

## make matrix      the build matrix: options on/off, allnoconfig, i386, mm randconfig seeds; W=1 + sparse on touched lines (ENTRIES="on i386" for a subset)
matrix: apply
	harness/matrix.sh $(ENTRIES)

## make stress      the long stress: the qemu kernel in a 256 MiB guest, one stress thread per CPU for STRESS_SECONDS (default 300) per pass
STRESS_SECONDS ?= 300
stress: apply
	harness/build-kernel.sh qemu
	harness/boot.sh qemu --mem 256M --timeout $$(( 3 * $(STRESS_SECONDS) + 600 )) \
		--append "VCOMPOUND_TEST=stress VCOMPOUND_STRESS_SECONDS=$(STRESS_SECONDS)"

## make mutants     mutation testing: every mutant of harness/mutants.py through KUnit (UML) and, if it survives, a qemu-novmap boot; writes harness/mutants-results.md (NAMES="a b" for a subset)
mutants: apply
	harness/mutants.sh $(NAMES)

## make selftest    regression tests of the harness itself (broken patches must fail)
selftest: setup
	harness/selftest.sh

## make clean       remove build/ outputs but keep the cached base download
clean:
	rm -rf build/out build/kunit-* build/linux build/st build/bisect-linux build/mutants build/mutants-smoke
