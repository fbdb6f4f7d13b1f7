#!/usr/bin/env bats
# Files that lie: datasets and models rewritten by tests/unit/hostile.c
# with some contents changed and a valid CRC.  Every reader refuses them
# with exit 1 and a message naming the section, never a crash, an empty
# answer or a gigabyte of memory.  On events.csv the items are i1..i4 at
# indices 0..3, and alice's entries 0..2 are i1, i2, i3 at 1000..1020.

setup() {
	load test_helper
	rec-pivot -o d.recd "$FIXTURES/events.csv"
}

hostile() {
	"$REC_BIN/unit/hostile" "$@"
}

# refused EDIT MESSAGE: d.recd with EDIT is refused with MESSAGE.
refused() {
	hostile d.recd bad.recd "$1"
	run -1 rec-pivot --format long bad.recd
	assert_output "rec-pivot: bad.recd: $2"
}

@test "a file rewritten without a change reads as the original" {
	hostile d.recd same.recd
	rec-pivot --format long d.recd > want.csv
	run -0 rec-pivot --format long same.recd
	assert_output "$(cat want.csv)"
}

@test "a dataset with a billion users and 224 bytes is refused in little memory" {
	hostile d.recd big.recd META+0:u32=1000000000 'ROWS#8000000008' truncate=224
	[ "$(gzip -dc big.recd | wc -c)" -eq 224 ]
	limit=200000
	# AddressSanitizer reserves terabytes of address space at start.
	case $REC_BIN in */san/*) limit=unlimited ;; esac
	for prog in 'rec-train -a pop -o m.recm' 'rec-split --train a.recd --test b.recd'; do
		run -1 bash -c "ulimit -v $limit && $prog big.recd"
		assert_output --partial "big.recd: truncated: the file ends at byte 224"
		refute_output --partial "out of memory"
	done
}

@test "a dataset with a NaN rating is refused" {
	hostile d.recd bad.recd VALS+4:f32=nan
	run -1 rec-train -a pop -o m.recm bad.recd
	assert_output "rec-train: bad.recd: section 'VALS': value 'nan' of user 'alice' is not finite"
}

@test "a dataset with a user's item twice is refused" {
	hostile d.recd bad.recd COLS+4:u32=0
	run -1 rec-split --train a.recd --test b.recd bad.recd
	assert_output --partial "bad.recd: section 'COLS': user 'alice' has item 'i1' twice"
}

@test "a dataset whose rows are out of time order is refused" {
	refused TIME+0:i64=1015 "section 'TIME': the events of user 'alice' are not in time order"
}

@test "times are accepted from year 0001 to 9999 and refused outside" {
	hostile d.recd first.recd TIME+0:i64=-62135596800
	run -0 rec-pivot --format long first.recd
	assert_line --index 1 "alice,i1,5,-62135596800"
	hostile d.recd last.recd TIME+56:i64=253402300799
	run -0 rec-pivot --format long last.recd
	assert_line --index 8 "carol,i4,3,253402300799"
	refused TIME+0:i64=-62135596801 \
		"section 'TIME': time -62135596801 of user 'alice' is outside the years 0001 to 9999"
	refused TIME+56:i64=253402300800 \
		"section 'TIME': time 253402300800 of user 'carol' is outside the years 0001 to 9999"
}

@test "a dataset with an item index past the items or backward rows is refused" {
	refused COLS+0:u32=4 "section 'COLS': item index 4 out of range (items 4)"
	refused ROWS+16:u64=2 "section 'ROWS': row pointers go backwards at user 1"
	refused ROWS+24:u64=7 \
		"section 'ROWS': row pointers run from 0 to 7, not from 0 to the 8 entries"
}

@test "attributes whose row offsets run backwards or past their entries are refused" {
	rec-pivot -o d.recd --item-features "$FIXTURES/attr-long.csv" "$FIXTURES/attr-events.csv"
	refused IFEA+24:u64=99 "section 'IFEA': row offsets go backwards or past the end"
	refused IFEA+16:u64=1 "section 'IFEA': row offsets do not match the entry count"
}

@test "a dataset whose header counts more or fewer items than its dictionary holds is refused" {
	refused META+4:u32=5 "section 'ITEM': fewer IDs than the header counts"
	refused META+4:u32=3 "section 'ITEM': more IDs than the header counts"
}

@test "an itemknn model with a neighbour past the items is refused" {
	rec-train -a itemknn -o m.recm d.recd
	hostile m.recm bad.recm NBRS+8:u32=9999
	run -1 rec-recommend -m bad.recm -n 2
	assert_output "rec-recommend: bad.recm: section 'NBRS': neighbour index 9999 out of range (items 4)"
}

@test "an ease model with a kept row out of range is refused" {
	rec-train -a ease -o m.recm d.recd
	hostile m.recm bad.recm KEEP+4:u32=70000
	run -1 rec-recommend -m bad.recm -n 2
	assert_output "rec-recommend: bad.recm: section 'KEEP': item 1 has row 70000, not 1 of 4"
}

@test "an ease model over more items than memory holds, saved without its matrix, is refused" {
	{ echo user,item; seq 90000 | awk '{ print "u" $1 % 3 ",i" $1 }'; } > many.csv
	rec-train -a ease -p max_items=2 -p keep=0 -o m.recm many.csv
	hostile m.recm bad.recm ALGO.max_items=0 -BMAT
	run -1 rec-recommend -m bad.recm -n 2
	assert_output --partial "rec-recommend: bad.recm: section 'BMAT' is missing"
}

@test "a sparse ease model with a weight out of place or bad row pointers is refused" {
	# keep=1 over 4 items: row pointers 0 1 2 3 4, columns 2 3 0 1: row 2
	# running to 9 reads ascending columns up to the end of the array.
	rec-train -a ease -p keep=1 -o m.recm d.recd
	for edit in 'BCOL+0:u32=9 column 9 of row 0 is out of range, out of order or on the diagonal' \
		'BCOL+0:u32=0 column 0 of row 0 is out of range, out of order or on the diagonal' \
		'BCOL+0:u32=1 column 1 has 2 weights, not 1' \
		'BROW+8:u32=0 BROW'"'"': row pointers go backwards or past the end at row 1' \
		'BROW+12:u32=9 BROW'"'"': row pointers go backwards or past the end at row 2' \
		'BROW+16:u32=5 BROW'"'"': row pointers run from 0 to 5, not from 0 to 4'; do
		hostile m.recm bad.recm "${edit%% *}"
		run -1 rec-recommend -m bad.recm -n 2
		msg=${edit#* }
		case $msg in BROW*) msg="section '$msg" ;; *) msg="section 'BCOL': $msg" ;; esac
		assert_output "rec-recommend: bad.recm: $msg"
	done
	hostile m.recm bad.recm BWGT+0:f32=nan
	run -1 rec-recommend -m bad.recm -n 2
	assert_output "rec-recommend: bad.recm: section 'BWGT': value 'nan' at index 0 is not finite"
	hostile m.recm bad.recm ALGO.keep=4000000000
	run -1 rec-recommend -m bad.recm -n 2
	assert_output "rec-recommend: bad.recm: unknown required section 'BROW'"
}

@test "an ials model with extreme event times or reference time is refused" {
	rec-train -a ials -k 2 -e 2 --half-life 1d -o m.recm d.recd
	hostile m.recm bad.recm TIME+0:i64=-9223372036854775807
	run -1 rec-recommend -m bad.recm -n 2
	assert_output "rec-recommend: bad.recm: section 'TIME': time -9223372036854775807 of user 'alice' is outside the years 0001 to 9999"
	hostile m.recm bad.recm ALGO.now=9223372036854775807
	run -1 rec-recommend -m bad.recm -n 2
	assert_output "rec-recommend: bad.recm: section 'ALGO': now '9223372036854775807' is out of range (years 0001 to 9999)"
}

@test "a model loaded only to rank checks the values and times it leaves out" {
	rec-train -a ials -k 2 -e 2 -o m.recm d.recd
	hostile m.recm bad.recm VALS+4:f32=nan
	for prog in 'rec-recommend -n 2' 'rec-eval --test d.recd'; do
		run -1 $prog -m bad.recm
		assert_output "${prog%% *}: bad.recm: section 'VALS': value 'nan' of user 'alice' is not finite"
	done
	hostile m.recm bad.recm TIME+0:i64=1015
	run -1 rec-eval --test d.recd -m bad.recm
	assert_output "rec-eval: bad.recm: section 'TIME': the events of user 'alice' are not in time order"
	hostile m.recm bad.recm ROWS+16:u64=2
	run -1 rec-recommend -n 2 -m bad.recm
	assert_output "rec-recommend: bad.recm: section 'ROWS': row pointers go backwards at user 1"
}

@test "a shard's half sweep leaves a model's events unread, and checks what it reads" {
	rec-train -a ials -k 2 -e 2 -o m.recm d.recd
	rec-pivot --shards 1 -o shard d.recd
	hostile m.recm bad.recm ROWS+16:u64=2
	run -0 rec-train -q --init bad.recm --solve users --shard 1/1 -o part shard-1.recd
	run -1 rec-train -q --init bad.recm -o next.recm d.recd
	assert_output "rec-train: bad.recm: section 'ROWS': row pointers go backwards at user 1"
	hostile m.recm bad.recm IFAC+4:f32=nan
	run -1 rec-train -q --init bad.recm --solve users --shard 1/1 -o part shard-1.recd
	assert_output "rec-train: bad.recm: section 'IFAC': value 'nan' at index 1 is not finite"
}

@test "a sasrec model with a NaN weight is refused" {
	rec-train -a sasrec -k 4 -e 1 -p max_len=4 -o m.recm d.recd
	hostile m.recm bad.recm IEMB+12:f32=nan
	run -1 rec-recommend -m bad.recm -n 2
	assert_output "rec-recommend: bad.recm: section 'IEMB': value 'nan' at index 3 is not finite"
}

@test "a sasrec model's attribute embeddings are checked as its weights are" {
	rec-pivot -o a.recd --item-features "$FIXTURES/attr-long.csv" "$FIXTURES/attr-events.csv"
	rec-train -a sasrec -k 4 -e 1 -p max_len=4 -o m.recm a.recd
	hostile m.recm bad.recm IAEM+4:f32=nan
	run -1 rec-recommend -m bad.recm -n 2
	assert_output "rec-recommend: bad.recm: section 'IAEM': value 'nan' at index 1 is not finite"
	# i1 has the one attribute genre=a, the first: two finite halves of infinity
	hostile m.recm bad.recm IEMB+0:f32=3e38 IAEM+0:f32=3e38
	run -1 rec-eval --test a.recd -m bad.recm
	assert_output "rec-eval: bad.recm: section 'IAEM': the embedding of item 'i1' is not finite"
	hostile m.recm bad.recm IAEM#44
	run -1 rec-recommend -m bad.recm -n 2
	assert_output "rec-recommend: bad.recm: section 'IAEM' has the wrong length"
	hostile m.recm bad.recm -IAEM
	run -1 rec-recommend -m bad.recm -n 2
	assert_output "rec-recommend: bad.recm: section 'IAEM' is missing"
	hostile m.recm bad.recm IFEA+56:u32=99
	run -1 rec-recommend -m bad.recm -n 2
	assert_output "rec-recommend: bad.recm: section 'IFEA': a feature index is out of range"
}

@test "a model with an infinite popularity is refused" {
	rec-train -a pop -o m.recm d.recd
	hostile m.recm bad.recm POPU+0:f32=inf
	run -1 rec-recommend -m bad.recm -n 2
	assert_output "rec-recommend: bad.recm: section 'POPU': value 'inf' at index 0 is not finite"
}

@test "a sasrec model whose heads do not divide its factors is refused as training refuses it" {
	run -1 rec-train -a sasrec -k 4 -p heads=3 -o m.recm d.recd
	assert_output --partial "sasrec: heads (3) must divide factors (4)"
	rec-train -a sasrec -k 4 -p heads=2 -e 1 -p max_len=4 -o m.recm d.recd
	hostile m.recm bad.recm ALGO.heads=3
	run -1 rec-recommend -m bad.recm -n 2
	assert_output "rec-recommend: bad.recm: section 'ALGO': sasrec: heads (3) must divide factors (4)"
}

@test "a model with a hyperparameter out of its range is refused" {
	rec-train -a ials -k 2 -e 2 -o m.recm d.recd
	hostile m.recm bad.recm ALGO.factors=0
	run -1 rec-eval --test d.recd -m bad.recm
	assert_output --partial "bad.recm: section 'ALGO': factors '0' is out of range [1, 4096]"
}

@test "an ials model whose factors size arrays past its bytes is refused in little memory" {
	{ echo user,item; seq 90000 | awk '{ print "u" $1 % 3 ",i" $1 }'; } > many.csv
	rec-train -a ials -k 2 -e 1 -o m.recm many.csv
	# 90000 items of 4096 factors, 1.5 GB: first with the sections as they
	# were, then with sections that claim it all in a file cut short
	hostile m.recm big.recm ALGO.factors=4096
	size=$(gzip -dc big.recm | wc -c)
	hostile m.recm short.recm ALGO.factors=4096 UFAC#49152 IFAC#1474560000 \
		truncate=$((size - 1000000))
	# the model's dictionaries and OpenBLAS's buffers take a few hundred MB
	# of address space, the arrays would take 1.5 GB
	limit=400000
	case $REC_BIN in */san/*) limit=unlimited ;; esac
	for f in big short; do
		run -1 bash -c "ulimit -v $limit && rec-recommend -m $f.recm -n 2"
		assert_output --regexp "^rec-recommend: $f.recm: section 'ALGO': the arrays these settings make outgrow the file: at most [0-9]+ bytes are left$"
	done
	# the same factors with arrays the file holds load
	rec-train -a ials -k 4096 -e 1 -o wide.recm "$FIXTURES/events.csv"
	run -0 rec-recommend -m wide.recm -n 1
	assert_line --index 1 --regexp "^alice,i[0-9],1,"
}
