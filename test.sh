#!/usr/bin/env bash
# Everything the tests need, then every test suite, then one summary line: "N passed, N failed[, N skipped]".
# Exits non-zero on any failure. Run from a fresh clone on Debian with the .NET SDK: ./test.sh
set -uo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Many test hosts run at once: none of them watches files through inotify (a per-user limit of 128 on Linux).
export DOTNET_hostBuilder__reloadConfigOnChange=false DOTNET_USE_POLLING_FILE_WATCHER=true
RESULTS="$(mktemp -d)"
passed=0; failed=0; skipped=0

# Servers the tests use, stopped on every exit (success, failure or interruption).
S3RVER_PID=""
S3RVER_DIR=""

# Idempotent and safe before anything was started: call it from the cleanup trap.
stop_s3rver() {
  if [ -n "${S3RVER_PID:-}" ]; then
    kill "$S3RVER_PID" 2>/dev/null || true
    wait "$S3RVER_PID" 2>/dev/null || true
    S3RVER_PID=""
  fi
  if [ -n "${S3RVER_DIR:-}" ]; then
    rm -rf "$S3RVER_DIR"
    S3RVER_DIR=""
  fi
}

PG_DIR=""
stop_postgres() {
  if [ -n "${PG_DIR:-}" ]; then
    tools/postgres-cluster.sh stop "$PG_DIR/cluster"
    rm -rf "$PG_DIR"
    PG_DIR=""
  fi
}
cleanup() { stop_s3rver; stop_postgres; }
trap cleanup EXIT
trap "exit 130" INT TERM

step() { printf '\n==> %s\n' "$*"; }

summary() {
  echo
  if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
  else
    echo "$passed passed, $failed failed"
  fi
}

fail_setup() {
  # A broken build or format counts as one failed check, so the summary never claims success.
  echo "FAILED: $1"
  failed=$((failed + 1))
  summary
  exit 1
}

step "What the tests need: Debian's Chromium for the browser tests"
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null \
      || fail_setup "apt-get install chromium"
  else
    fail_setup "chromium is not installed and this user cannot install it (run as root once, or: sudo apt-get install chromium)"
  fi
fi
chromium --version || fail_setup "chromium does not run"

step "What the tests need: Node.js and npm, and s3rver (tools/s3rver, from package-lock.json)"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null \
      || fail_setup "apt-get install nodejs npm"
  else
    fail_setup "node/npm are not installed and this user cannot install them (run as root once, or: sudo apt-get install nodejs npm)"
  fi
fi
node --version || fail_setup "node does not run"
npm ci --prefix tools/s3rver --no-audit --no-fund --loglevel=error || fail_setup "npm ci --prefix tools/s3rver"

# Port 0: s3rver picks a free port and prints "S3rver listening on 127.0.0.1:PORT"; the objects go to a temp folder.
# The tests read DERBES_TEST_S3_URL, and DERBES_TEST_S3_DIR to check that the server's files hold no plaintext.
step "Start s3rver (local S3-compatible server)"
S3RVER_DIR="$(mktemp -d)"
mkdir -p "$S3RVER_DIR/data"
node tools/s3rver/node_modules/s3rver/bin/s3rver.js \
  --directory "$S3RVER_DIR/data" --address 127.0.0.1 --port 0 --silent >"$S3RVER_DIR/log" 2>&1 &
S3RVER_PID=$!
s3_url=""
for _ in $(seq 1 150); do
  s3_port="$(sed -nE 's/.*listening on [^ ]*:([0-9]+).*/\1/p' "$S3RVER_DIR/log" | head -1)"
  if [ -n "$s3_port" ] && node -e "require('http').get('http://127.0.0.1:$s3_port/', r => process.exit(r.statusCode < 500 ? 0 : 1)).on('error', () => process.exit(1))"; then
    s3_url="http://127.0.0.1:$s3_port/"
    break
  fi
  kill -0 "$S3RVER_PID" 2>/dev/null || break
  sleep 0.2
done
if [ -z "$s3_url" ]; then
  cat "$S3RVER_DIR/log"
  stop_s3rver
  fail_setup "s3rver did not start"
fi
echo "s3rver at $s3_url"
export DERBES_TEST_S3_URL="$s3_url" DERBES_TEST_S3_DIR="$S3RVER_DIR/data"

step "What the tests need: a throwaway PostgreSQL cluster (loopback, trust auth, stopped on exit)"
PG_DIR="$(mktemp -d)"
chmod 755 "$PG_DIR"
PG_PORT="$(tools/postgres-cluster.sh start "$PG_DIR/cluster")" || fail_setup "start PostgreSQL"
echo "PostgreSQL on 127.0.0.1:$PG_PORT"

# The care-mailbox tests read a real IMAP server: their fixture starts its own Dovecot (tools/dovecot.sh) and,
# with DERBES_REQUIRE_IMAP=1, fails rather than skips when Dovecot is missing.
step "What the tests need: Dovecot (an IMAP server for the care-mailbox tests)"
if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null \
      || fail_setup "apt-get install dovecot-imapd"
  else
    fail_setup "dovecot is not installed and this user cannot install it (run as root once, or: sudo apt-get install dovecot-imapd)"
  fi
fi
export DERBES_REQUIRE_IMAP=1

step "Restore and build (warnings are errors)"
dotnet build Derbes.slnx -c Release -nologo -v quiet || fail_setup "build"

step "Formatting (dotnet format --verify-no-changes)"
dotnet format Derbes.slnx --verify-no-changes --no-restore -v quiet || fail_setup "dotnet format found changes to make"

run_suite() {
  local label="$1" project="$2"; shift 2
  step "Tests: $label"
  local log="$RESULTS/$label.log"
  dotnet test "$project" -c Release --no-build -nologo "$@" 2>&1 | tee "$log"
  # VSTest's closing line per assembly: "Passed!  - Failed: 0, Passed: 12, Skipped: 0, Total: 12 ..."
  local line
  line="$(grep -E '(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" | tail -1)"
  if [ -z "$line" ]; then
    echo "FAILED: $label did not report results"
    failed=$((failed + 1))
    return
  fi
  local f p s
  f="$(sed -E 's/.*Failed: +([0-9]+),.*/\1/' <<<"$line")"
  p="$(sed -E 's/.*Passed: +([0-9]+),.*/\1/' <<<"$line")"
  s="$(sed -E 's/.*Skipped: +([0-9]+),.*/\1/' <<<"$line")"
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  # A fixture that fails to clean up is a failure too, even when every test in it passed.
  local cleanup
  cleanup="$(grep -c -E '\[Test (Class|Collection|Assembly) Cleanup Failure' "$log" || true)"
  if [ "$cleanup" -gt 0 ]; then
    echo "FAILED: $label had $cleanup fixture cleanup failure(s)"
    failed=$((failed + cleanup))
  fi
}

run_suite "Derbes.Tests" tests/Derbes.Tests/Derbes.Tests.csproj
# Tests that need a server PostgreSQL (several instances, outages) run only in the PostgreSQL pass.
run_suite "Derbes.Web.Tests on SQLite" tests/Derbes.Web.Tests/Derbes.Web.Tests.csproj --filter "Database!=Postgres"
DERBES_TEST_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Username=postgres" \
  run_suite "Derbes.Web.Tests on PostgreSQL" tests/Derbes.Web.Tests/Derbes.Web.Tests.csproj
rm -rf artifacts/site-logs
failed_before_browser=$failed
run_suite "Derbes.BrowserTests" tests/Derbes.BrowserTests/Derbes.BrowserTests.csproj
# Each site the browser tests started leaves what it printed (timed warnings and errors) beside the screenshots.
if [ "$failed" -gt "$failed_before_browser" ] && compgen -G "artifacts/site-logs/*.log" >/dev/null; then
  echo "The browser tests' sites printed (warnings, errors): $(pwd)/artifacts/site-logs/"
  tail -n 40 artifacts/site-logs/*.log
fi
# The browser tests' walk through the cabinet on a phone leaves a full-page screenshot of each page, kept as artifacts.
if compgen -G "artifacts/screenshots/*.png" >/dev/null; then
  echo "Screenshots of each page at phone width (kk, ru): $(pwd)/artifacts/screenshots/ ($(find artifacts/screenshots -name '*.png' | wc -l) files)"
fi

summary
[ "$failed" -eq 0 ]
