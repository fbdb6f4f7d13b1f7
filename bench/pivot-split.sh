#!/bin/sh
# pivot-split.sh - reading events: rec-pivot beside wc -l and mawk on the
# same file in the same run, then rec-split on the dataset it wrote; on
# MovieLens 100K and on 10^7 generated events.
. "$(dirname "$0")/helpers"

GENERATED=10000000

# tool NAME EVENTS BYTES: the row of the last clock.
tool() {
	row "$1" "$SECS" "$(calc "$2 / $SECS" 0)" "$(calc "$3 / 1048576 / $SECS" 1)" \
		"$(calc "$KB / 1024" 1)"
}

# reading FILE EVENTS FS PIVOT-OPTIONS...: the three readers of FILE,
# rec-pivot writing $TMP/events.recd.
reading() {
	file=$1 events=$2 fs=$3
	shift 3
	bytes=$(wc -c < "$file")
	row "" seconds "events/s" "MB/s" "peak MB"
	clock wc -l "$file" && tool "wc -l" "$events" "$bytes"
	if have mawk; then
		clock mawk -F "$fs" '{ s += $3 } END { print s }' "$file" &&
			tool "mawk sum of \$3" "$events" "$bytes"
		awk_secs=$SECS
	else
		skip "mawk: not installed"
	fi
	clock rec-pivot -q "$@" -o "$TMP/events.recd" "$file" || return 1
	tool "rec-pivot" "$events" "$bytes"
	figure "rec-pivot peak RSS per event" "$(calc "$KB * 1024 / $events" 1)" bytes
	[ -n "$awk_secs" ] &&
		figure "rec-pivot / mawk time" "$(calc "$SECS / $awk_secs" 2)" "x"
	figure "dataset file" "$(calc "$(wc -c < "$TMP/events.recd") / 1048576" 1)" MB
}

# splitting EVENTS: rec-split --method last of $TMP/events.recd.
splitting() {
	clock rec-split -q --method last --train "$TMP/train.recd" \
		--test "$TMP/test.recd" "$TMP/events.recd" || return 1
	figure "rec-split --method last" "$SECS" s
	figure "rec-split events/s" "$(calc "$1 / $SECS" 0)" "events/s"
	figure "rec-split peak RSS" "$(calc "$KB / 1024" 1)" MB
}

movielens() {
	data=$DATA/movielens-100k/u.data

	section "MovieLens 100K (u.data, tab separated)"
	need "$data" || return 0
	reading "$data" 100000 '\t' -d tab --no-header -r 3 -t 4 || return 0
	splitting 100000
	rec-pivot --stats -o /dev/null "$TMP/events.recd" > "$TMP/stats.csv"
	rec-split -q --method last --count 1 --train "$TMP/train.recd" \
		--test "$TMP/test.recd" "$TMP/events.recd"
	rec-pivot --stats -o /dev/null "$TMP/test.recd" > "$TMP/test-stats.csv"
	figure "users" "$(stat "$TMP/stats.csv" users)" ""
	figure "items" "$(stat "$TMP/stats.csv" items)" ""
	figure "events" "$(stat "$TMP/stats.csv" events)" ""
	figure "test events of --method last --count 1" \
		"$(stat "$TMP/test-stats.csv" events)" ""
}

generated() {
	section "generated log, $GENERATED events (genevents)"
	clock genevents -n "$GENERATED" -o "$TMP/events.csv" || return 0
	figure "genevents" "$SECS" s
	figure "CSV file" "$(calc "$(wc -c < "$TMP/events.csv") / 1048576" 1)" MB
	reading "$TMP/events.csv" "$GENERATED" , || return 0
	rm -f "$TMP/events.csv"
	splitting "$GENERATED"
}

movielens
generated
