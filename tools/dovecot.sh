#!/usr/bin/env bash
# A throwaway IMAP server (Dovecot) for tests: a config of its own in a folder, plain IMAP on a free loopback port,
# plaintext login allowed (loopback only, no TLS), one user in a passwd-file, maildirs and sockets inside the folder.
#   tools/dovecot.sh start DIR   -> prints the port on stdout; logs in DIR/log. User "care", password "care-password"
#                                   (both also in DIR/user and DIR/password). A stopped server starts again on its port.
#   tools/dovecot.sh stop DIR    -> stops it (safe to call twice)
# Every Dovecot process runs as one unprivileged user: as root, the "dovecot" user the package creates (DIR's parent
# folders must then be traversable by it); otherwise the calling user. Needs Debian's dovecot-imapd
# (apt-get install dovecot-imapd); it does not install it.
set -euo pipefail

USER_NAME="care"
PASSWORD="care-password"

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u dovecot -- "$@"; else "$@"; fi
}

free_port() {
  local p
  for p in $(seq 51430 51530); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  return 1
}

write_config() {
  local dir="$1" port="$2" owner="$3" uid="$4" gid="$5"
  cat >"$dir/dovecot.conf" <<EOF
# Written by tools/dovecot.sh: a test server, never for real mail.
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/log
info_log_path = $dir/log
instance_name = derbes-test-$port
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = $owner
default_internal_group = $(id -gn "$owner")
default_login_user = $owner
first_valid_uid = $uid
last_valid_uid = $uid
first_valid_gid = $gid
last_valid_gid = $gid
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$dir/home/%u
}
service imap-login {
  chroot =
  user = $owner
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
  user = $owner
}
service auth {
  user = $owner
}
service auth-worker {
  user = $owner
}
service stats {
  user = $owner
}
service imap-urlauth-login {
  chroot =
  user = $owner
}
EOF
  printf '%s:{PLAIN}%s::::::\n' "$USER_NAME" "$PASSWORD" >"$dir/users"
  echo "$USER_NAME" >"$dir/user"
  echo "$PASSWORD" >"$dir/password"
}

case "${1:-}" in
  start)
    dir="${2:?folder}"
    # /usr/sbin is not on every user's PATH.
    dovecot_bin="$(command -v dovecot 2>/dev/null || true)"
    [ -n "$dovecot_bin" ] || [ ! -x /usr/sbin/dovecot ] || dovecot_bin=/usr/sbin/dovecot
    if [ -z "$dovecot_bin" ]; then
      echo "Dovecot is not installed (as root: apt-get update && apt-get install -y dovecot-imapd)" >&2
      exit 1
    fi
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [ "$(id -u)" -eq 0 ]; then owner="dovecot"; else owner="$(id -un)"; fi
    uid="$(id -u "$owner")"; gid="$(id -g "$owner")"
    if [ -f "$dir/port" ] && [ -f "$dir/dovecot.conf" ]; then
      port="$(cat "$dir/port")"
    else
      port="$(free_port)" || { echo "no free port in 51430-51530" >&2; exit 1; }
      mkdir -p "$dir/run" "$dir/state" "$dir/home"
      write_config "$dir" "$port" "$owner" "$uid" "$gid"
      if [ "$(id -u)" -eq 0 ]; then
        chown -R dovecot: "$dir"
        runuser -u dovecot -- test -w "$dir" || { echo "the dovecot user cannot reach $dir (make its parents traversable)" >&2; exit 1; }
      fi
    fi
    # Forks into the background once its listeners are open; the pid is in run/master.pid.
    as_owner "$dovecot_bin" -c "$dir/dovecot.conf" || { cat "$dir/log" >&2 2>/dev/null; exit 1; }
    for _ in $(seq 1 100); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        [ -f "$dir/port" ] || echo "$port" >"$dir/port"
        echo "$port"
        exit 0
      fi
      sleep 0.1
    done
    echo "Dovecot did not listen on 127.0.0.1:$port" >&2
    cat "$dir/log" >&2 2>/dev/null || true
    exit 1
    ;;
  stop)
    dir="${2:?folder}"
    if [ -f "$dir/run/master.pid" ]; then
      pid="$(cat "$dir/run/master.pid")"
      if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      fi
      rm -f "$dir/run/master.pid"
    fi
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
