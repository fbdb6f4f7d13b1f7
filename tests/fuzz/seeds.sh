#!/bin/sh
# seeds.sh BIN OUT - make the seed corpora of the fuzz targets in OUT/csv,
# OUT/recd and OUT/recm from the test fixtures, with the programs in BIN:
# CSV files behind option bytes (see csv.c), and datasets and a small
# model of every family, uncompressed and without their trailing CRC-32
# (see recd.c and recm.c).
set -eu
bin=$1
out=$2
fixtures=$(cd "$(dirname "$0")/../fixtures" && pwd)
mkdir -p "$out/csv" "$out/recd" "$out/recm"

# csv_seed NAME FILE OPTIONS: FILE behind the four option bytes, given in
# octal escapes.
csv_seed() {
	{ printf "$3"; cat "$2"; } > "$out/csv/$1"
}

# unframe FILE OUT: the binary file's bytes without gzip and the CRC.
unframe() {
	gzip -dc < "$1" | head -c -4 > "$2"
}

for f in "$fixtures"/*.csv; do
	name=$(basename "$f" .csv)
	csv_seed "$name" "$f" '\000\000\000\000'
	# events, bad rows skipped
	csv_seed "$name-events" "$f" '\006\000\000\000'
	# in four parts, bad rows skipped
	csv_seed "$name-parts" "$f" '\302\000\000\000'
done
# tab-separated without a header, deduplicated by sum
csv_seed noheader "$fixtures/events-noheader.tsv" '\011\002\000\000'
# columns by position, column 2 as the user and 1 as the item; dedup by mean
csv_seed positions "$fixtures/events.csv" '\000\003\005\001'

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in events kcore dups iso; do
	"$bin/rec-pivot" -q -o "$tmp/$f.recd" "$fixtures/$f.csv"
	unframe "$tmp/$f.recd" "$out/recd/$f"
done
# one of every family rec-train lists, small: few factors, few epochs,
# short sequences; mf on ratings all equal to 1 only when forced
for algo in $("$bin/rec-train" --help | sed -n '/^Algorithms/,$p' | awk '/^  [a-z]/ { print $1 }'); do
	case $algo in
	pop|itemknn|ease|content) set -- ;;
	sasrec) set -- -k 4 -e 2 -p max_len=8 -p blocks=1 ;;
	mf) set -- -k 4 -e 2 --force ;;
	*) set -- -k 4 -e 2 ;;
	esac
	"$bin/rec-train" -q -j 1 -a "$algo" "$@" -o "$tmp/$algo.recm" "$fixtures/stream-train.csv"
	unframe "$tmp/$algo.recm" "$out/recm/$algo"
done
"$bin/rec-train" -q -j 1 -a mf -k 2 --half-life 10s -o "$tmp/mf-rated.recm" "$fixtures/events.csv"
unframe "$tmp/mf-rated.recm" "$out/recm/mf-rated"
# sasrec with item attributes, an item of them without events
"$bin/rec-pivot" -q -o "$tmp/attr.recd" --item-features "$fixtures/attr-long.csv" \
	"$fixtures/attr-events.csv"
"$bin/rec-train" -q -j 1 -a sasrec -k 4 -e 2 -p max_len=8 -p blocks=1 \
	-o "$tmp/sasrec-attributes.recm" "$tmp/attr.recd"
unframe "$tmp/sasrec-attributes.recm" "$out/recm/sasrec-attributes"
# ease with a sparse B, whose few items a default keep leaves dense
"$bin/rec-train" -q -j 1 -a ease -p keep=2 -o "$tmp/ease-sparse.recm" "$fixtures/stream-train.csv"
unframe "$tmp/ease-sparse.recm" "$out/recm/ease-sparse"
