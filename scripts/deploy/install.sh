#!/usr/bin/env bash
# Installs roomhook on a systemd VM: binary, config (only when none exists), unit; then enables and
# starts the service. Idempotent: a second run changes nothing. See --help.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/deploy/install.sh [--binary PATH] [--root DIR] [--no-start]
       scripts/deploy/install.sh --uninstall [--purge] [--root DIR]

Installs roomhook for systemd:
  /usr/local/bin/roomhook                  the binary (0755); replaced when it differs
  /etc/roomhook/roomhook.toml              the config (0640 root:roomhook), from
                                           examples/roomhook.toml, written only when none exists:
                                           an existing config is never overwritten
  /etc/systemd/system/roomhook.service     the unit (0644); replaced when it differs
  /var/lib/roomhook                        the data (journal, cursors, ...), created by systemd at
                                           the first start (StateDirectory=); never removed
and the system user "roomhook". On a machine running systemd it then runs daemon-reload and
`systemctl enable --now roomhook`, and restarts a running service whose binary or unit changed
(so upgrading is: run this again with the new binary).

Options:
  --binary PATH   the binary to install (default: dist/roomhook of this checkout)
  --root DIR      install into DIR instead of / (the same as DESTDIR=DIR): files only; no user is
                  created and systemctl is not run. For packaging and for tests.
  --no-start      enable the service but do not start or restart it
  --uninstall     stop and disable the service, remove the binary and the unit; keep the config
                  and the data
  --purge         with --uninstall: also remove /etc/roomhook (config, TLS files) and the unit's
                  drop-ins. /var/lib/roomhook (your journal) is always kept.
  -h, --help      this help

Environment: DESTDIR=DIR as --root DIR.
Exit codes: 0 done (or nothing to do), 1 failure, 2 usage error.
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
purge=no
start=yes
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --binary) [ $# -ge 2 ] || usage_error "--binary needs a path"; binary="$2"; shift 2 ;;
    --binary=*) binary="${1#*=}"; shift ;;
    --root) [ $# -ge 2 ] || usage_error "--root needs a directory"; destdir="$2"; shift 2 ;;
    --root=*) destdir="${1#*=}"; shift ;;
    --uninstall) mode=uninstall; shift ;;
    --purge) purge=yes; shift ;;
    --no-start) start=no; shift ;;
    *) usage_error "unknown option: $1" ;;
  esac
done
[ "$purge" = no ] || [ "$mode" = uninstall ] || usage_error "--purge only goes with --uninstall"

# DESTDIR: absolute, no trailing slash; "/" is the real system.
if [ -n "$destdir" ]; then
  mkdir -p -- "$destdir"
  destdir=$(cd -- "$destdir" && pwd)
  if [ "$destdir" = / ]; then destdir=""; fi
fi

BIN_PATH=/usr/local/bin/roomhook
CONF_DIR=/etc/roomhook
CONF_PATH=$CONF_DIR/roomhook.toml
UNIT_PATH=/etc/systemd/system/roomhook.service
DATA_DIR=/var/lib/roomhook
USER_NAME=roomhook
EXAMPLE="$repo/examples/roomhook.toml"
UNIT_SRC="$here/roomhook.service"

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

# ------------------------------------------------------------------------------------------------
if [ "$mode" = uninstall ]; then
  echo "Uninstalling roomhook${destdir:+ from $destdir}"
  changed=no
  if [ "$systemd_running" = yes ] && systemctl cat roomhook.service >/dev/null 2>&1; then
    if systemctl is-active --quiet roomhook.service || systemctl is-enabled --quiet roomhook.service; then
      systemctl_do disable --now roomhook.service
      changed=yes
    fi
  fi
  for f in "$destdir$UNIT_PATH" "$destdir$BIN_PATH"; do
    if [ -e "$f" ] || [ -L "$f" ]; then rm -f -- "$f"; say "removed $f"; changed=yes; fi
  done
  if [ "$purge" = yes ]; then
    for d in "$destdir$CONF_DIR" "$destdir$UNIT_PATH.d"; do
      if [ -e "$d" ]; then rm -rf -- "$d"; say "removed $d"; changed=yes; fi
    done
  fi
  if [ "$systemd_running" = yes ] && [ "$changed" = yes ]; then
    systemctl_do daemon-reload
    systemctl reset-failed roomhook.service >/dev/null 2>&1 || true
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
[ -f "$binary" ] || die "no binary at $binary: run 'npm run build' first, or pass --binary PATH"
[ -x "$binary" ] || die "$binary is not executable"
[ -f "$EXAMPLE" ] || die "missing $EXAMPLE"
[ -f "$UNIT_SRC" ] || die "missing $UNIT_SRC"
# Proves the binary runs on this machine (architecture, CPU) before anything is replaced.
version=$("$binary" --version 2>&1) || die "$binary --version failed: $version"

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

# The binary.
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

# The unit.
install_file "$UNIT_SRC" "$destdir$UNIT_PATH" 0644
unit_changed=$replaced

# Is the config valid? Checked with the installed binary; with an invalid one the service is not
# started (it would exit 1 at once and restart in a loop).
# On the real system it runs as the service user, which also proves that user can read the file.
config_ok=yes
as_user=()
if [ "$real_system" = yes ] && command -v runuser >/dev/null; then as_user=(runuser -u "$USER_NAME" --); fi
if ! problems=$("${as_user[@]}" "$destdir$BIN_PATH" check-config --config "$destdir$CONF_PATH" 2>&1 >/dev/null); then
  config_ok=no
  echo "  $destdir$CONF_PATH is not valid yet:"
  echo "$problems" | sed 's/^/    /'
fi

# systemd.
started=no
if [ "$systemd_running" = yes ]; then
  if [ "$unit_changed" = yes ]; then systemctl_do daemon-reload; fi
  enabled=no active=no
  if systemctl is-enabled --quiet roomhook.service; then enabled=yes; fi
  if systemctl is-active --quiet roomhook.service; then active=yes; fi
  if [ "$start" = yes ] && [ "$config_ok" = yes ] && [ "$active" = no ]; then
    if [ "$enabled" = yes ]; then systemctl_do start roomhook.service; else systemctl_do enable --now roomhook.service; fi
    started=yes
  else
    if [ "$enabled" = no ]; then systemctl_do enable roomhook.service; fi
    if [ "$start" = no ]; then
      say "not starting or restarting roomhook (--no-start)"
    elif [ "$config_ok" = no ] && [ "$active" = yes ]; then
      say "the config is invalid: roomhook keeps running as it was (not restarted)"
    elif [ "$config_ok" = no ]; then
      say "not starting roomhook until the config is valid"
    elif [ "$binary_changed" = yes ] || [ "$unit_changed" = yes ]; then
      systemctl_do restart roomhook.service
      started=yes
    else
      say "roomhook is running; nothing changed, so it was not restarted"
    fi
  fi
  # Type=simple: start returns at once. A process that exits at start-up (port taken, data_dir
  # unwritable) shows a moment later.
  if [ "$started" = yes ]; then
    sleep 2
    if ! systemctl is-active --quiet roomhook.service; then
      systemctl status --no-pager --lines=20 roomhook.service >&2 || true
      die "roomhook did not stay up: see journalctl -u roomhook"
    fi
    say "roomhook is running"
  fi
elif [ "$real_system" = yes ]; then
  say "systemd is not running here: the service was neither enabled nor started"
fi

where=""
[ -z "$destdir" ] || where=" (on the system that gets $destdir)"
cat <<EOF

Next steps$where:
  1. Edit $CONF_PATH: your sdk_app_id; the token if callback authentication
     is on at Tencent; listen/TLS; targets.$([ "$config_written" = yes ] || echo " (The existing file was kept.)")
  2. Check it:   sudo -u $USER_NAME $BIN_PATH check-config --config $CONF_PATH
  3. Apply it:   sudo systemctl restart roomhook    (later edits: sudo systemctl reload roomhook)
  4. Register the callback URL at Tencent: https://<this host><server.path>, e.g.
     http://<this host>:8080/callback with the defaults. Try it from the VM first:
       roomhook send --url http://127.0.0.1:8080/callback --sdk-app-id <your SDKAppID> [--token T]
       sudo -u $USER_NAME roomhook tail --data-dir $DATA_DIR
  Status and logs: systemctl status roomhook; journalctl -u roomhook -f
EOF
