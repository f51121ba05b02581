# hwnas Jetson helper: copied to a temporary folder on the board, removed after.
set -u
export LC_ALL=C
mode=$1; dir=$2; tools=$3; shift 3
[ -n "$tools" ] && PATH="$tools:$PATH"
PATH="$PATH:/usr/sbin:/sbin:/usr/src/tensorrt/bin"
export PATH
cd "$dir" || exit 90
stamp() {
  if [ -n "${EPOCHREALTIME:-}" ]; then
    while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done
  else
    while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done
  fi
}
now() { if [ -n "${EPOCHREALTIME:-}" ]; then printf '%s\n' "$EPOCHREALTIME"; else date +%s.%N; fi; }
# stdbuf execs its command, so "$!" below is tegrastats itself.
if command -v stdbuf >/dev/null 2>&1; then linebuf="stdbuf -oL"; else linebuf=""; fi
if [ "$mode" = probe ]; then
  trtexec=$1
  echo "== trtexec"; command -v "$trtexec" >/dev/null 2>&1 && "$trtexec" --help 2>&1 | head -n 5
  echo "== tegrastats"; command -v tegrastats || echo missing
  echo "== stdbuf"; command -v stdbuf || echo missing
  echo "== nvpmodel"; nvpmodel -q 2>&1 || sudo -n nvpmodel -q 2>&1 || echo unavailable
  echo "== jetson_clocks"
  out=$(jetson_clocks --show 2>&1) || out=$(sudo -n jetson_clocks --show 2>&1) || out=unavailable
  printf '%s\n' "$out"
  echo "== end"
  exit 0
fi
interval=$1; idle=$2; energy=$3; shift 3
spid=
stop_tegrastats() {
  if [ -n "$spid" ]; then
    [ -f tegrastats.pid ] && kill "$(cat tegrastats.pid)" 2>/dev/null
    wait "$spid" 2>/dev/null; spid=
  fi
}
trap stop_tegrastats EXIT
trap 'exit 143' TERM INT HUP
rm -f trtexec.log tegrastats.log times.json marks tegrastats.pid
if [ "$energy" = 1 ]; then
  ( $linebuf tegrastats --interval "$interval" 2>tegrastats.err & echo $! > tegrastats.pid; wait ) \
    | stamp > tegrastats.log &
  spid=$!
  sleep "$idle"
  echo "idle_end $(now)" >> marks
fi
echo "trtexec_start $(now)" >> marks
$linebuf "$@" 2>&1 | stamp > trtexec.log
rc=${PIPESTATUS[0]}
echo "trtexec_end $(now)" >> marks
if [ "$energy" = 1 ]; then sleep "$(awk "BEGIN{print $interval/1000}")"; fi
stop_tegrastats
echo "trtexec_rc $rc" >> marks
exit 0
