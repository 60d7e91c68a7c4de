#!/bin/sh
# Regenerates test/fixtures/ap_fixed_wide_vectors.jsonl (golden vectors for ap_fixed types wider
# than 52 bits) with g++ and Xilinx's ap_types headers. Usage:
#   AP_TYPES_INCLUDE=../shared/vendor/xilinx-ap-types/include scripts/make-wide-ap-vectors.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
inc=${AP_TYPES_INCLUDE:-$here/../../shared/vendor/xilinx-ap-types/include}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
${CXX:-g++} -std=c++14 -O1 -I"$inc" "$here/wide-ap-vectors.cpp" -o "$tmp/gen"
"$tmp/gen" > "$here/../test/fixtures/ap_fixed_wide_vectors.jsonl"
wc -l "$here/../test/fixtures/ap_fixed_wide_vectors.jsonl"
