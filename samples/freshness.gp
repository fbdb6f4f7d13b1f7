# HR@k per window of the prequential replay, with and without updates.
# Called by the Makefile with data, out, algo and k set.
set terminal pngcairo size 900,500 noenhanced
set output out
set title sprintf("%s on samples/events.csv: HR@%d of each event, ranked before it is learned", algo, k)
set xdata time
set timefmt "%s"
set format x "%b %d"
set xlabel "window start"
set ylabel sprintf("HR@%d", k)
set yrange [0:*]
set key top left
set grid ytics
plot data using 1:2 with linespoints title "folding each event in", \
     data using 1:3 with linespoints title "frozen at training time"
