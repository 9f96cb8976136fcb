# shellcheck shell=bash disable=SC2034 # PICKED is read by the sourcing script
# Shared by scripts/bench/ingest and scripts/bench/two-servers (sourced, not run).

# A free loopback port below the ephemeral range (nothing listening on it) -> $PICKED.
# Not called in a subshell, so USED_PORTS remembers what this run already handed out: a port picked
# but not yet bound is never handed out twice.
USED_PORTS=" "
PICKED=""
pick_port() {
  local p
  for _ in $(seq 1 500); do
    p=$((20000 + RANDOM % 12000))
    case "$USED_PORTS" in *" $p "*) continue;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      USED_PORTS+="$p "; PICKED="$p"; return 0
    fi
  done
  return 1
}

# kv KEY "WRK_RESULT ..." -> value (the line scripts/bench/post.lua prints)
kv() { tr ' ' '\n' <<<"$2" | awk -F= -v k="$1" '$1==k {print $2}'; }
