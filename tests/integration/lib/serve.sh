# serve.sh - the one way the integration scripts start `hazmap serve` (sourced, never run).
#
#   hz_serve OUT ERR [serve options...]
#
# Starts "$HAZMAP serve --bind 127.0.0.1 --port 0 OPTIONS" in the background, its standard output
# to OUT (emptied first) and its standard error appended to ERR (the same path: both to OUT), so
# one ERR can collect the access logs of several servers. The kernel chooses the
# port while the server binds it, so two scripts or two test runs never race for one. Waits until
# the server prints its "listening on" line, for at most HZ_SERVE_WAIT seconds (60: a loaded CI
# machine can be slow; a dead server is noticed at once). Sets HZ_PID, PORT and BASE and returns 0;
# on failure prints the logs' last lines, stops the server and returns 1.
# Without a --config among the options, the server gets one of its own (OUT.conf) holding only
# query_timeout_ms = HZ_QUERY_TIMEOUT_MS (600000): the analyses then run to the end on a loaded
# machine or in the sanitizer build instead of answering 422 after the default 10 s (deadline.sh
# tests the limit itself, with a configuration of its own).
HZ_SERVE_WAIT=${HZ_SERVE_WAIT:-60}
HZ_QUERY_TIMEOUT_MS=${HZ_QUERY_TIMEOUT_MS:-600000}

hz_serve() {
  local out=$1 err=$2 line tries
  shift 2
  HZ_PID= PORT= BASE=
  : > "$out" # here, not in the redirection below: that runs in the child, maybe after the first read
  case " $* " in
    *" --config "*) ;;
    *)
      printf 'query_timeout_ms = %s\n' "$HZ_QUERY_TIMEOUT_MS" > "$out.conf"
      set -- "$@" --config "$out.conf"
      ;;
  esac
  if [ "$out" = "$err" ]; then
    "$HAZMAP" serve --bind 127.0.0.1 --port 0 "$@" > "$out" 2>&1 &
  else
    "$HAZMAP" serve --bind 127.0.0.1 --port 0 "$@" > "$out" 2>> "$err" &
  fi
  HZ_PID=$!
  tries=$((HZ_SERVE_WAIT * 10))
  while [ "$tries" -gt 0 ]; do
    line=$(grep -m1 'listening on http://127.0.0.1:' "$out" 2>/dev/null)
    [ -n "$line" ] && break
    kill -0 "$HZ_PID" 2>/dev/null || break
    sleep 0.1
    tries=$((tries - 1))
  done
  PORT=$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\)/.*#\1#p' <<< "$line")
  if [ -z "$PORT" ]; then
    echo "hazmap serve $* did not print 'listening on' within ${HZ_SERVE_WAIT} s; its output:"
    tail -n 20 "$out"
    [ "$out" = "$err" ] || tail -n 20 "$err"
    kill "$HZ_PID" 2>/dev/null && wait "$HZ_PID" 2>/dev/null
    HZ_PID=
    return 1
  fi
  BASE=http://127.0.0.1:$PORT
  return 0
}
