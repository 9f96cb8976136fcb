#!/usr/bin/env bash
# Installs roomhook on a systemd VM: binary, config (only when none exists), socket and service
# units; then enables and starts them. Upgrades (keeping the previous binary) and rolls back without
# ever closing the listening socket. Idempotent: a second run changes nothing. See --help.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/deploy/install.sh [--binary PATH] [--root DIR] [--no-start]
       scripts/deploy/install.sh --rollback [--root DIR] [--no-start]
       scripts/deploy/install.sh --uninstall [--purge] [--root DIR]

Installs roomhook for systemd:
  /usr/local/bin/roomhook                  the binary (0755); replaced when it differs
  /usr/local/bin/roomhook.previous         the binary it replaced, kept for --rollback
  /etc/roomhook/roomhook.toml              the config (0640 root:roomhook), from
                                           examples/roomhook.toml, written only when none exists:
                                           an existing config is never overwritten
  /etc/systemd/system/roomhook.socket      the socket unit (0644): owns the callback listening
                                           socket; ListenStream= is written from server.listen of
                                           the installed config
  /etc/systemd/system/roomhook.service     the service unit (0644); replaced when it differs
  /var/lib/roomhook                        the data (journal, cursors, ...), created by systemd at
                                           the first start (StateDirectory=); never removed
and the system user "roomhook". On a machine running systemd it then runs daemon-reload, enables
roomhook.socket and roomhook.service and starts them.

Socket activation: roomhook.socket keeps the listening socket open while roomhook.service
restarts, so callbacks that arrive meanwhile wait in the kernel's queue instead of being refused.
This script therefore restarts roomhook.service, never roomhook.socket, with one exception: when
server.listen changed, the socket must be re-bound (`systemctl restart roomhook.socket`, which
restarts the service too and refuses connections for that moment). Switching an existing
installation from the old unit (no socket) is the other brief refusal: the old process holds the
port, so it is stopped before the socket can bind it.

Upgrade: run it again with the new binary: install.sh --binary NEW. Before anything is replaced,
NEW must run (`NEW --version`) and accept the installed config (`NEW check-config --config
/etc/roomhook/roomhook.toml`); otherwise it is refused (exit 1) and nothing changes. The installed
binary is kept as roomhook.previous, NEW is put in place by rename (atomic: the path never holds a
half-written file), then `systemctl restart roomhook.service`.

Rollback: install.sh --rollback swaps roomhook.previous and roomhook the same way (so running it
again rolls forward) and restarts roomhook.service. It fails (exit 1) when there is no previous
binary, or when the previous binary does not run or does not accept the installed config.

Options:
  --binary PATH   the binary to install (default: dist/roomhook of this checkout)
  --rollback      put /usr/local/bin/roomhook.previous back, restart the service
  --root DIR      install into DIR instead of / (the same as DESTDIR=DIR): files only; no user is
                  created and systemctl is not run: the systemctl commands are printed as "would
                  run: ...", taking roomhook as running in DIR when DIR already had a binary.
                  For packaging and for tests.
  --no-start      enable the units but do not start or restart anything
  --uninstall     stop and disable the socket and the service, remove the binaries and the units;
                  keep the config and the data
  --purge         with --uninstall: also remove /etc/roomhook (config, TLS files) and the units'
                  drop-ins. /var/lib/roomhook (your journal) is always kept.
  -h, --help      this help

Environment: DESTDIR=DIR as --root DIR.
Exit codes: 0 done (or nothing to do), 1 failure (nothing was replaced when a check refused the
binary), 2 usage error.
EOF
}

die() { echo "install.sh: $*" >&2; exit 1; }
usage_error() { echo "install.sh: $*" >&2; echo "Try: scripts/deploy/install.sh --help" >&2; exit 2; }
say() { echo "  $*"; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

binary="$repo/dist/roomhook"
destdir="${DESTDIR:-}"
mode=install
binary_given=no
purge=no
start=yes
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --binary) [ $# -ge 2 ] || usage_error "--binary needs a path"; binary="$2"; binary_given=yes; shift 2 ;;
    --binary=*) binary="${1#*=}"; binary_given=yes; shift ;;
    --root) [ $# -ge 2 ] || usage_error "--root needs a directory"; destdir="$2"; shift 2 ;;
    --root=*) destdir="${1#*=}"; shift ;;
    --uninstall) mode=uninstall; shift ;;
    --rollback) mode=rollback; shift ;;
    --purge) purge=yes; shift ;;
    --no-start) start=no; shift ;;
    *) usage_error "unknown option: $1" ;;
  esac
done
[ "$purge" = no ] || [ "$mode" = uninstall ] || usage_error "--purge only goes with --uninstall"
[ "$mode" != rollback ] || [ "$binary_given" = no ] || usage_error "--rollback takes no --binary: it puts back the previous binary"

# DESTDIR: absolute, no trailing slash; "/" is the real system.
if [ -n "$destdir" ]; then
  mkdir -p -- "$destdir"
  destdir=$(cd -- "$destdir" && pwd)
  if [ "$destdir" = / ]; then destdir=""; fi
fi

BIN_PATH=/usr/local/bin/roomhook
PREV_PATH=/usr/local/bin/roomhook.previous
CONF_DIR=/etc/roomhook
CONF_PATH=$CONF_DIR/roomhook.toml
UNIT_PATH=/etc/systemd/system/roomhook.service
SOCKET_PATH=/etc/systemd/system/roomhook.socket
DATA_DIR=/var/lib/roomhook
USER_NAME=roomhook
EXAMPLE="$repo/examples/roomhook.toml"
UNIT_SRC="$here/roomhook.service"
SOCKET_SRC="$here/roomhook.socket"

real_system=no
if [ -z "$destdir" ]; then real_system=yes; fi
# Is systemd the init here? The same test as sd_booted(3). Never asked for a scratch root.
systemd_running=no
if [ "$real_system" = yes ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then systemd_running=yes; fi

if [ "$real_system" = yes ] && [ "$(id -u)" -ne 0 ]; then
  die "installing into / needs root: run it with sudo (or use --root DIR for a scratch root)"
fi

# The group that may read the config: on the real system the one useradd made; in a scratch root
# the one in DIR/etc/group when there is one (getent cannot look into another root).
group_id() {
  if [ "$real_system" = yes ]; then
    getent group "$USER_NAME" | cut -d: -f3
  elif [ -f "$destdir/etc/group" ]; then
    awk -F: -v g="$USER_NAME" '$1 == g { print $3 }' "$destdir/etc/group"
  fi
}

# Temp files (atomic replacements) are removed if the script stops half-way.
tmp_files=()
trap 'rm -f -- "${tmp_files[@]}"' EXIT

# Sets owner and mode only when they differ, so that a second run touches nothing.
ensure_owner_mode() { # path mode [gid]
  local path=$1 want_mode=$2 gid=${3:-}
  if [ -n "$gid" ] && [ "$(id -u)" -eq 0 ] && [ "$(stat -c %u:%g "$path")" != "0:$gid" ]; then
    chown "0:$gid" "$path"
    say "owner of $path set to root:$USER_NAME"
  fi
  if [ "$(stat -c %a "$path")" != "${want_mode#0}" ]; then
    chmod "$want_mode" "$path"
    say "mode of $path set to $want_mode"
  fi
}

# Copies src to dst atomically (a temp file in the same directory, then rename), only when the
# content differs. Renaming never writes into a running executable ("Text file busy").
# Sets $replaced to yes or no. (Not a return code: set -e does not act inside a function that is
# called as an if condition.)
install_file() { # src dst mode
  local src=$1 dst=$2 want_mode=$3 tmp
  replaced=no
  if [ -f "$dst" ] && cmp -s "$src" "$dst"; then
    say "unchanged $dst"
    ensure_owner_mode "$dst" "$want_mode"
    return 0
  fi
  mkdir -p -- "$(dirname "$dst")"
  tmp=$(mktemp "$dst.new.XXXXXX")
  tmp_files+=("$tmp")
  cp -- "$src" "$tmp"
  chmod "$want_mode" "$tmp"
  mv -f -- "$tmp" "$dst"
  say "installed $dst"
  replaced=yes
}

systemctl_do() {
  say "systemctl $*"
  systemctl "$@"
}

# systemctl on a machine running systemd; in a scratch root, only what it would run.
sysd() {
  if [ "$systemd_running" = yes ]; then
    say "systemctl $*"
    systemctl "$@"
  else
    say "would run: systemctl $*"
  fi
}

# is-active / is-enabled. A scratch root has no systemd: a unit is taken as enabled and running
# when its file was already there (with a binary) before this run, so that the output shows what
# an upgrade would do on the real system.
scratch_socket=no
scratch_service=no
unit_is() { # is-active|is-enabled unit
  if [ "$systemd_running" = yes ]; then
    systemctl "$1" --quiet "$2"
  elif [ "$2" = roomhook.socket ]; then
    [ "$scratch_socket" = yes ]
  else
    [ "$scratch_service" = yes ]
  fi
}

# After a start or restart: Type=simple returns at once; a process that exits at start-up (data_dir
# unwritable, config unreadable) shows a moment later.
check_running() {
  [ "$systemd_running" = yes ] || return 0
  sleep 2
  local u
  for u in roomhook.socket roomhook.service; do
    if ! systemctl is-active --quiet "$u"; then
      systemctl status --no-pager --lines=20 "$u" >&2 || true
      die "$u did not stay up: see journalctl -u $u"
    fi
  done
  say "roomhook.socket and roomhook.service are running"
}

# `BINARY check-config` on a config file, without the caller's ROOMHOOK_* variables (the service
# does not get them): the effective config as JSON on stdout, one problem a line on stderr.
check_config() { # binary config
  local -a unset=()
  local v
  for v in $(compgen -e); do
    if [[ $v == ROOMHOOK_* ]]; then unset+=(-u "$v"); fi
  done
  env ${unset[@]+"${unset[@]}"} "$1" check-config --config "$2"
}

# server.listen from check-config's JSON (JSON.stringify with 2-space indentation).
listen_of() {
  awk '/^  "server": \{/ { s = 1; next } s && /^  \}/ { exit }
       s && /^    "listen": "/ { sub(/^    "listen": "/, ""); sub(/",?$/, ""); print; exit }'
}

# server.listen -> ListenStream=. systemd binds numeric addresses only: "localhost" is taken as
# 127.0.0.1, any other host name is refused.
listen_stream() { # host:port
  local host=${1%:*} port=${1##*:}
  case "$host" in
    localhost) host=127.0.0.1 ;;
    \[*\]) ;;
    *) [[ $host =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || return 1 ;;
  esac
  echo "$host:$port"
}

errf=$(mktemp)
tmp_files+=("$errf")

# ------------------------------------------------------------------------------------------------
if [ "$mode" = uninstall ]; then
  echo "Uninstalling roomhook${destdir:+ from $destdir}"
  changed=no
  if [ "$systemd_running" = yes ]; then
    # Both in one transaction: with the socket still listening, a connection would start the
    # service again right after it was stopped.
    units=()
    for u in roomhook.socket roomhook.service; do
      if systemctl cat "$u" >/dev/null 2>&1 && { systemctl is-active --quiet "$u" || systemctl is-enabled --quiet "$u"; }; then
        units+=("$u")
      fi
    done
    if [ ${#units[@]} -gt 0 ]; then
      systemctl_do disable --now "${units[@]}"
      changed=yes
    fi
  fi
  for f in "$destdir$UNIT_PATH" "$destdir$SOCKET_PATH" "$destdir$BIN_PATH" "$destdir$PREV_PATH"; do
    if [ -e "$f" ] || [ -L "$f" ]; then rm -f -- "$f"; say "removed $f"; changed=yes; fi
  done
  if [ "$purge" = yes ]; then
    for d in "$destdir$CONF_DIR" "$destdir$UNIT_PATH.d" "$destdir$SOCKET_PATH.d"; do
      if [ -e "$d" ]; then rm -rf -- "$d"; say "removed $d"; changed=yes; fi
    done
  fi
  if [ "$systemd_running" = yes ] && [ "$changed" = yes ]; then
    systemctl_do daemon-reload
    systemctl reset-failed roomhook.service roomhook.socket >/dev/null 2>&1 || true
  fi
  [ "$changed" = yes ] || say "nothing to remove: roomhook is not installed"
  echo
  [ "$purge" = yes ] || [ ! -e "$destdir$CONF_DIR" ] || echo "Kept $destdir$CONF_DIR (remove it with: scripts/deploy/install.sh --uninstall --purge)."
  [ ! -e "$destdir$DATA_DIR" ] || echo "Kept $destdir$DATA_DIR, your journal. Back it up or remove it yourself: rm -rf $destdir$DATA_DIR"
  if [ "$real_system" = yes ] && getent passwd "$USER_NAME" >/dev/null; then
    echo "Kept the system user $USER_NAME (it owns the data). Remove it with: userdel $USER_NAME"
  fi
  exit 0
fi

# ------------------------------------------------------------------------------------------------
if [ "$mode" = rollback ]; then
  cur="$destdir$BIN_PATH"
  prev="$destdir$PREV_PATH"
  [ -f "$cur" ] || die "roomhook is not installed${destdir:+ in $destdir} (no $cur): nothing to roll back"
  [ -f "$prev" ] || die "no previous binary to roll back to: $prev does not exist (an upgrade, install.sh --binary NEW, keeps the binary it replaces there)"
  prev_version=$("$prev" --version 2>&1) || die "refusing to roll back, nothing was changed: $prev --version failed: $prev_version"
  if ! check_config "$prev" "$destdir$CONF_PATH" >/dev/null 2>"$errf"; then
    die "refusing to roll back, nothing was changed: $prev does not accept $destdir$CONF_PATH (check-config):
$(sed 's/^/    /' "$errf")"
  fi
  cur_version=$("$cur" --version 2>&1) || cur_version="(a binary that does not run)"
  echo "Rolling back roomhook $cur_version to $prev_version${destdir:+ in $destdir}"
  # A swap by renames: the path of the binary holds a complete file at every moment.
  tmp=$(mktemp "$prev.new.XXXXXX")
  tmp_files+=("$tmp")
  ln -f -- "$cur" "$tmp"
  mv -f -- "$prev" "$cur"
  mv -f -- "$tmp" "$prev"
  say "installed $cur (the previous binary)"
  say "kept the binary rolled back from as $prev (--rollback again rolls forward)"
  if [ "$systemd_running" = yes ] || [ "$real_system" = no ]; then
    if [ "$start" = no ]; then
      say "not restarting roomhook (--no-start): systemctl restart roomhook.service to run it"
    else
      # The service only: the socket stays open and queues callbacks meanwhile.
      sysd restart roomhook.service
      check_running
    fi
  else
    say "systemd is not running here: roomhook was not restarted"
  fi
  exit 0
fi

# ------------------------------------------------------------------------------------------------
[ -f "$binary" ] || die "no binary at $binary: run 'npm run build' first, or pass --binary PATH"
[ -x "$binary" ] || die "$binary is not executable"
[ -f "$EXAMPLE" ] || die "missing $EXAMPLE"
[ -f "$UNIT_SRC" ] || die "missing $UNIT_SRC"
[ -f "$SOCKET_SRC" ] || die "missing $SOCKET_SRC"
# Proves the binary runs on this machine (architecture, CPU) before anything is replaced.
version=$("$binary" --version 2>&1) || die "$binary --version failed: $version"

upgrade=no
if [ -f "$destdir$BIN_PATH" ]; then
  if ! cmp -s "$binary" "$destdir$BIN_PATH"; then upgrade=yes; fi
  if [ -f "$destdir$SOCKET_PATH" ]; then scratch_socket=yes; fi
  if [ -f "$destdir$UNIT_PATH" ]; then scratch_service=yes; fi
fi

# Does the new binary accept the config the service will run with (the installed one, or the
# example that is about to become it)? An upgrade that fails this is refused before anything is
# replaced: the service would exit at once and restart in a loop.
conf_src="$destdir$CONF_PATH"
[ -e "$conf_src" ] || conf_src=$EXAMPLE
config_ok=yes
problems=""
if ! effective=$(check_config "$binary" "$conf_src" 2>"$errf"); then
  config_ok=no
  problems=$(cat "$errf")
  if [ "$upgrade" = yes ]; then
    die "refusing $binary, nothing was changed: it does not accept $conf_src (check-config):
$(sed 's/^/    /' <<< "$problems")"
  fi
fi

# The address of roomhook.socket: server.listen of that config. With an invalid config, the
# installed socket unit's address is kept (or the default, on a first install).
if [ "$config_ok" = yes ]; then
  listen=$(listen_of <<< "$effective")
  [ -n "$listen" ] || die "cannot read server.listen from '$binary check-config'"
  stream=$(listen_stream "$listen") ||
    die "server.listen = \"$listen\" in $conf_src: roomhook.socket needs an IP address (systemd does not resolve host names): use 0.0.0.0:PORT, [::]:PORT or an address of this VM"
elif [ -f "$destdir$SOCKET_PATH" ]; then
  stream=$(sed -n 's/^ListenStream=//p' "$destdir$SOCKET_PATH" | tail -1)
else
  stream=$(sed -n 's/^ListenStream=//p' "$SOCKET_SRC" | tail -1)
fi

echo "Installing roomhook $version${destdir:+ into $destdir}"

# The system user. A static user rather than DynamicUser=yes: see the comment in roomhook.service.
if [ "$real_system" = yes ]; then
  if getent passwd "$USER_NAME" >/dev/null; then
    :
  else
    command -v useradd >/dev/null || die "useradd not found: create a system user '$USER_NAME' yourself and run this again"
    useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home \
      --shell "$(command -v nologin || echo /usr/sbin/nologin)" --comment "roomhook callback receiver" "$USER_NAME"
    say "created system user and group $USER_NAME"
  fi
else
  say "scratch root: not creating the system user $USER_NAME (create it in the target system)"
fi
gid=$(group_id)

# The binary. An upgrade first keeps the installed one as roomhook.previous (a hard link made under
# a temp name, renamed over the old roomhook.previous), then renames the new one into place.
if [ "$upgrade" = yes ]; then
  tmp=$(mktemp "$destdir$PREV_PATH.new.XXXXXX")
  tmp_files+=("$tmp")
  ln -f -- "$destdir$BIN_PATH" "$tmp"
  mv -f -- "$tmp" "$destdir$PREV_PATH"
  say "kept the installed binary as $destdir$PREV_PATH (install.sh --rollback puts it back)"
fi
install_file "$binary" "$destdir$BIN_PATH" 0755
binary_changed=$replaced

# The config directory and file: the file holds secrets, so only root and the service's group read
# it. Never overwritten: a changed example is for the operator to merge.
if [ ! -d "$destdir$CONF_DIR" ]; then
  mkdir -p -- "$destdir$CONF_DIR"
  chmod 0750 "$destdir$CONF_DIR"
  [ -z "$gid" ] || [ "$(id -u)" -ne 0 ] || chown "0:$gid" "$destdir$CONF_DIR"
  say "created $destdir$CONF_DIR"
else
  ensure_owner_mode "$destdir$CONF_DIR" 0750 "$gid"
fi
config_written=no
if [ -e "$destdir$CONF_PATH" ]; then
  say "kept existing $destdir$CONF_PATH (never overwritten)"
  ensure_owner_mode "$destdir$CONF_PATH" 0640 "$gid"
else
  tmp=$(mktemp "$destdir$CONF_PATH.new.XXXXXX")
  tmp_files+=("$tmp")
  cp -- "$EXAMPLE" "$tmp"
  chmod 0640 "$tmp"
  [ -z "$gid" ] || [ "$(id -u)" -ne 0 ] || chown "0:$gid" "$tmp"
  mv -- "$tmp" "$destdir$CONF_PATH"
  say "wrote $destdir$CONF_PATH from examples/roomhook.toml"
  config_written=yes
fi
[ -n "$gid" ] || say "note: no group $USER_NAME${destdir:+ in $destdir/etc/group}: config left owned by $(id -un)"

# The units. roomhook.socket gets ListenStream= from the config.
old_stream=""
if [ -f "$destdir$SOCKET_PATH" ]; then old_stream=$(sed -n 's/^ListenStream=//p' "$destdir$SOCKET_PATH" | tail -1); fi
socket_text=$(mktemp)
tmp_files+=("$socket_text")
sed "s|^ListenStream=.*|ListenStream=$stream|" "$SOCKET_SRC" > "$socket_text"
install_file "$socket_text" "$destdir$SOCKET_PATH" 0644
socket_changed=$replaced
listen_changed=no
if [ -n "$old_stream" ] && [ "$old_stream" != "$stream" ]; then listen_changed=yes; fi
say "roomhook.socket listens on $stream (server.listen)"
install_file "$UNIT_SRC" "$destdir$UNIT_PATH" 0644
unit_changed=$replaced

# On the real system the installed binary checks the config again as the service user, which also
# proves that user can read the file.
if [ "$real_system" = yes ] && [ "$config_ok" = yes ] && command -v runuser >/dev/null; then
  if ! problems=$(runuser -u "$USER_NAME" -- "$BIN_PATH" check-config --config "$CONF_PATH" 2>&1 >/dev/null); then
    config_ok=no
  fi
fi
if [ "$config_ok" = no ]; then
  echo "  $destdir$CONF_PATH is not valid yet:"
  echo "$problems" | sed 's/^/    /'
fi

# systemd. The socket is started once and then left alone: restarting it would close it.
if [ "$systemd_running" = yes ] || [ "$real_system" = no ]; then
  if [ "$real_system" = no ]; then
    say "scratch root: systemctl is not run; on the real system this would be:"
  fi
  if [ "$unit_changed" = yes ] || [ "$socket_changed" = yes ]; then sysd daemon-reload; fi
  to_enable=()
  if ! unit_is is-enabled roomhook.socket; then to_enable+=(roomhook.socket); fi
  if ! unit_is is-enabled roomhook.service; then to_enable+=(roomhook.service); fi
  if [ ${#to_enable[@]} -gt 0 ]; then sysd enable "${to_enable[@]}"; fi
  socket_active=no
  service_active=no
  if unit_is is-active roomhook.socket; then socket_active=yes; fi
  if unit_is is-active roomhook.service; then service_active=yes; fi
  started=no
  if [ "$start" = no ]; then
    say "not starting or restarting roomhook (--no-start)"
  elif [ "$config_ok" = no ] && [ "$service_active" = yes ]; then
    say "the config is invalid: roomhook keeps running as it was (not restarted)"
  elif [ "$config_ok" = no ]; then
    say "not starting roomhook until the config is valid"
  elif [ "$socket_active" = no ] && [ "$service_active" = yes ]; then
    # An installation from before roomhook.socket: its process holds the port itself.
    say "switching to socket activation: the running roomhook holds $stream itself, so it is stopped"
    say "before roomhook.socket binds it (connections are refused in between; this once)"
    sysd stop roomhook.service
    sysd start roomhook.socket roomhook.service
    started=yes
  elif [ "$socket_active" = no ]; then
    sysd start roomhook.socket roomhook.service
    started=yes
  elif [ "$listen_changed" = yes ]; then
    say "server.listen changed ($old_stream -> $stream): roomhook.socket must be bound anew, which"
    say "closes the old socket (connections are refused for a moment) and restarts the service too"
    sysd restart roomhook.socket roomhook.service
    started=yes
  elif [ "$service_active" = no ]; then
    sysd start roomhook.service
    started=yes
  elif [ "$binary_changed" = yes ] || [ "$unit_changed" = yes ]; then
    # The service only, never the socket: callbacks queue in the socket while it restarts.
    sysd restart roomhook.service
    started=yes
  else
    say "roomhook is running; nothing changed, so it was not restarted"
  fi
  if [ "$socket_changed" = yes ] && [ "$listen_changed" = no ] && [ "$socket_active" = yes ]; then
    say "note: roomhook.socket changed (not its address); the running socket keeps its settings until"
    say "it is next started (at boot). It is not restarted now: that would refuse connections."
  fi
  if [ "$started" = yes ]; then check_running; fi
else
  say "systemd is not running here: the units were neither enabled nor started"
fi

where=""
[ -z "$destdir" ] || where=" (on the system that gets $destdir)"
cat <<EOF

Next steps$where:
  1. Edit $CONF_PATH: your sdk_app_id; the token if callback authentication
     is on at Tencent; listen/TLS; targets.$([ "$config_written" = yes ] || echo " (The existing file was kept.)")
  2. Check it:   sudo -u $USER_NAME $BIN_PATH check-config --config $CONF_PATH
  3. Apply it:   sudo systemctl restart roomhook.service   (later edits: sudo systemctl reload roomhook)
     A changed server.listen: run this script again, so that roomhook.socket listens there.
  4. Register the callback URL at Tencent: https://<this host><server.path>, e.g.
     http://<this host>:8080/callback with the defaults. Try it from the VM first:
       roomhook send --url http://127.0.0.1:8080/callback --sdk-app-id <your SDKAppID> [--token T]
       sudo -u $USER_NAME roomhook tail --data-dir $DATA_DIR
  Upgrade: install.sh --binary NEW; undo it: install.sh --rollback (the socket stays open).
  Status and logs: systemctl status roomhook.socket roomhook.service; journalctl -u roomhook -f
EOF
