#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a short time each.
#
# Usage: test/fuzz.sh [FUZZTIME]     (default 5s; `make fuzz` passes 2m)
#
# Targets are discovered, not listed: every `func FuzzX(` in a *_test.go file
# outside testdata/ and vendor/. `go test -fuzz` takes one package and one
# target at a time, so each runs on its own. A failure leaves the crashing
# input under the package's testdata/fuzz/FuzzX/ and stops the script.
set -euo pipefail

fuzztime="${1:-${FUZZTIME:-5s}}"
cd "$(dirname "$(go env GOMOD)")"

mapfile -t files < <(grep -rl --include='*_test.go' --exclude-dir=testdata --exclude-dir=vendor \
	-E '^func Fuzz[A-Za-z0-9_]*\(' . | sort)
if [ "${#files[@]}" -eq 0 ]; then
	echo "fuzz.sh: no fuzz targets found"
	exit 0
fi

# fuzz_one runs one target. Go's fuzzing engine sometimes ends a time-boxed
# run with a bare "context deadline exceeded" when the deadline lands while a
# worker is busy; no input failed, so that (and only that) is retried once.
fuzz_one() {
	local out
	for attempt in 1 2; do
		if out=$(go test -run='^$' -fuzz="^$2\$" -fuzztime="${fuzztime}" "$1" 2>&1); then
			echo "${out}" | tail -n 1
			return 0
		fi
		if [ "${attempt}" -eq 1 ] && ! grep -q 'Failing input written' <<<"${out}" &&
			grep -q 'context deadline exceeded' <<<"${out}"; then
			echo "fuzz.sh: $2: engine deadline flake, retrying once"
			continue
		fi
		echo "${out}"
		return 1
	done
}

count=0
for file in "${files[@]}"; do
	pkg="./$(dirname "${file#./}")"
	while read -r name; do
		echo "fuzz.sh: ${pkg} ${name} for ${fuzztime}"
		fuzz_one "${pkg}" "${name}"
		count=$((count + 1))
	done < <(grep -oE '^func Fuzz[A-Za-z0-9_]*' "${file}" | sed 's/^func //')
done
echo "fuzz.sh: ${count} fuzz targets passed"
