#!/bin/sh
# rss_peak.sh: samples VmRSS and RssAnon of process PID every 50 ms until it is stopped
# (SIGTERM) or the process ends, then prints the peak of each in KiB on one line.
# Usage: bench/rss_peak.sh PID. Used by bench/audit.sh for the server under load.
pid=$1
rss=0
anon=0
done=0
trap 'done=1' TERM INT
while [ $done -eq 0 ] && [ -r "/proc/$pid/status" ]; do
	eval "$(awk '/^VmRSS:/ { printf "r=%s; ", $2 } /^RssAnon:/ { printf "a=%s\n", $2 }' "/proc/$pid/status")"
	[ "${r:-0}" -gt $rss ] && rss=$r
	[ "${a:-0}" -gt $anon ] && anon=$a
	sleep 0.05
done
echo "VmRSS $rss KiB (RssAnon $anon KiB)"
