#!/usr/bin/env bash
# The Debian package, end to end on this machine (issue 11; docs/install.md,
# docs/design/0090-debian-package.md). Builds the .deb from the Release build
# in build/ (deploy/package.sh: no compiling when build/motcua is up to date),
# then checks what it holds, its Depends and its systemd units, installs it,
# runs the installed binary as the service user with the unit's ExecStart
# line (an intake over loopback included), removes and purges it, and leaves
# the machine as it found it. About 15 s.
#   tests/package/package_test.sh [DEB]
# Needs root (dpkg -i); otherwise prints SKIP and exits 0. Refuses to run
# (SKIP) where motcua is already installed or /var/lib/motcua exists, so it
# never touches a real node.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

if [ "$(id -u)" != 0 ]; then
  echo "SKIP package_test: needs root (dpkg -i); run it as root, e.g. from deploy/test.sh"
  exit 0
fi
if dpkg-query -W -f='${Status}' motcua 2>/dev/null | grep -q installed || [ -e /var/lib/motcua ]; then
  echo "SKIP package_test: motcua is installed here or /var/lib/motcua exists; not touching a real node"
  exit 0
fi

step() { echo "-- $*"; }
fail() {
  echo "FAIL package_test: $*" >&2
  exit 1
}

deb=${1:-}
if [ -z "$deb" ]; then
  step "deploy/package.sh"
  deb=$(deploy/package.sh | tail -1)
fi
[ -f "$deb" ] || fail "no package at '$deb'"
deb=$(realpath "$deb")
version=$(dpkg-deb -f "$deb" Version)
arch=$(dpkg --print-architecture)
[ "$(basename "$deb")" = "motcua_${version}_${arch}.deb" ] || fail "package name $(basename "$deb") is not motcua_${version}_${arch}.deb"
cmake_version=$(sed -n 's/^project(motcua VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ "$version" = "$cmake_version" ] || fail "package version $version, CMakeLists.txt says $cmake_version"

work=$(mktemp -d /tmp/motcua-package-test.XXXXXX)
user_existed=0
getent passwd motcua >/dev/null && user_existed=1
serve_pid=
hub_pid=
cleanup() {
  if [ -n "$serve_pid" ]; then kill -KILL "$serve_pid" 2>/dev/null || true; fi
  if [ -n "$hub_pid" ]; then kill -KILL "$hub_pid" 2>/dev/null || true; fi
  if dpkg-query -W -f='${Status}' motcua 2>/dev/null | grep -q -E 'installed|config-files'; then
    MOTCUA_PURGE_DATA=yes dpkg --purge motcua >/dev/null 2>&1 || true
  fi
  rm -rf /var/lib/motcua
  if [ -s "$work/made-archives" ]; then xargs -r rm -f <"$work/made-archives"; fi
  rmdir /var/backups/motcua 2>/dev/null || true
  if [ "$user_existed" = 0 ] && getent passwd motcua >/dev/null; then
    deluser --system --quiet motcua >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step "dpkg-deb -c: the files"
dpkg-deb -c "$deb" | awk '{print $1, $2, $6}' | sed 's#\./#/#' >"$work/contents"
for f in "-rwxr-xr-x root/root /usr/bin/motcua" \
         "-rw-r--r-- root/root /lib/systemd/system/motcua.service" \
         "-rw-r--r-- root/root /lib/systemd/system/motcua-backup.service" \
         "-rw-r--r-- root/root /lib/systemd/system/motcua-backup.timer" \
         "-rwxr-xr-x root/root /usr/lib/motcua/motcua-backup" \
         "-rw-r--r-- root/root /usr/share/doc/motcua/copyright" \
         "-rw-r--r-- root/root /usr/share/doc/motcua/README.md" \
         "-rw-r--r-- root/root /usr/share/doc/motcua/install.md"; do
  grep -qxF -- "$f" "$work/contents" || fail "dpkg-deb -c does not list '$f'"
done
# Nothing else (no /etc, /var, /home in the archive: postinst makes the folders).
unexpected=$(awk '{print $3}' "$work/contents" | grep -vxE '/(lib/(systemd/(system/)?)?|usr/((bin|lib|lib/motcua|share|share/doc|share/doc/motcua)/)?)|/usr/bin/motcua|/lib/systemd/system/motcua(-backup)?\.(service|timer)|/usr/lib/motcua/motcua-backup|/usr/share/doc/motcua/[A-Za-z.-]+' || true)
[ -z "$unexpected" ] || fail "unexpected paths in the package: $unexpected"

step "dpkg-deb -I: Depends and maintainer scripts"
depends=$(dpkg-deb -f "$deb" Depends)
dep_names=$(tr ',' '\n' <<<"$depends" | sed 's/^ *//; s/ .*//')
for p in adduser libc6 'libstdc\+\+6' libsqlite3-0 libsodium23 libssl3 'libcpp-httplib0\.11' \
         'libboost-program-options1\.74\.0' 'libicu[0-9]+'; do
  grep -qxE "$p" <<<"$dep_names" || fail "Depends lacks $p: $depends"
done
# Every library the binary links directly (NEEDED) comes from a package named in Depends.
dpkg-deb -x "$deb" "$work/root"
linked=0
while read -r lib; do
  linked=$((linked + 1))
  pkg=
  for path in "$lib" "$(realpath "$lib")" "/usr$lib" "${lib#/usr}"; do
    pkg=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1 || true)
    [ -n "$pkg" ] && break
  done
  [ -n "$pkg" ] || fail "no Debian package owns $lib"
  grep -qxF "$pkg" <<<"$dep_names" || fail "$lib (package $pkg) is linked but not in Depends: $depends"
done < <(ldd "$work/root/usr/bin/motcua" >"$work/ldd"
         readelf -d "$work/root/usr/bin/motcua" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
           while read -r soname; do awk -v s="$soname" '$1 == s && $3 ~ /^\// {print $3}' "$work/ldd"; done)
[ "$linked" -ge 8 ] || fail "only $linked libraries checked against Depends"
dpkg-deb -I "$deb" >"$work/info"
for script in postinst prerm postrm; do
  grep -qE "^ .* $script " "$work/info" || fail "no $script in the package"
done

step "dpkg -i"
if ! dpkg -i "$deb" >"$work/dpkg.log" 2>&1; then
  # A machine without a runtime library: apt brings it, then configures.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -f >>"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i"; }
fi
dpkg-query -W -f='${Status}' motcua | grep -q "install ok installed" || fail "motcua is not installed after dpkg -i"

step "the user, the folders, the installed binary"
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd motcua) || fail "no user motcua"
[ "$uid" -lt 1000 ] || fail "motcua is not a system user (uid $uid)"
[ "$home" = /var/lib/motcua ] || fail "motcua's home is $home"
[ "$shell" = /usr/sbin/nologin ] || fail "motcua's shell is $shell"
getent group motcua >/dev/null || fail "no group motcua"
for d in /var/lib/motcua /var/backups/motcua; do
  [ "$(stat -c '%U:%G %a' "$d")" = "motcua:motcua 750" ] || fail "$d is $(stat -c '%U:%G %a' "$d"), not motcua:motcua 750"
done
[ -L /etc/systemd/system/multi-user.target.wants/motcua.service ] || fail "motcua.service is not enabled"
run_as() { setpriv --reuid motcua --regid motcua --init-groups --no-new-privs --bounding-set -all --inh-caps -all -- "$@"; }
# The port of the event=listening line a daemon writes into LOG (10 s at most).
wait_for_port() {
  local p
  for _ in $(seq 100); do
    p=$(sed -n 's/.*event=listening addr=127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$1")
    [ -n "$p" ] && { echo "$p"; return 0; }
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
line=$(run_as /usr/bin/motcua --version)
[[ "$line" =~ ^motcua\ ${version//./\\.}\ \(journal\ v[0-9]+,\ database\ schema\ [0-9]+,\ sync\ protocol\ v[0-9]+\)$ ]] ||
  fail "motcua --version printed '$line'"
run_as /usr/bin/motcua --help >"$work/help"
grep -q '^  serve ' "$work/help" || fail "motcua --help does not list serve"
if run_as /usr/bin/motcua backup --help >/dev/null 2>&1; then
  [ -L /etc/systemd/system/timers.target.wants/motcua-backup.timer ] || fail "motcua backup exists but the timer is not enabled"
else
  [ ! -e /etc/systemd/system/timers.target.wants/motcua-backup.timer ] || fail "the backup timer is enabled without 'motcua backup'"
  grep -q "motcua-backup.timer is installed but not enabled" "$work/dpkg.log" || fail "postinst did not say the timer is off"
fi

step "systemd-analyze verify (any warning fails)"
if command -v systemd-analyze >/dev/null; then
  out=$(systemd-analyze verify /lib/systemd/system/motcua.service /lib/systemd/system/motcua-backup.service \
        /lib/systemd/system/motcua-backup.timer 2>&1) || fail "systemd-analyze verify: $out"
  [ -z "$out" ] || fail "systemd-analyze verify: $out"
  for key in "ProtectSystem=strict" "ReadWritePaths=/var/lib/motcua" "NoNewPrivileges=yes" "PrivateTmp=yes" \
             "ProtectHome=yes" "CapabilityBoundingSet=" "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" \
             "SystemCallFilter=@system-service" "User=motcua" "Restart=on-failure"; do
    grep -qxF "$key" /lib/systemd/system/motcua.service || fail "motcua.service lacks $key"
  done
else
  echo "SKIP systemd-analyze verify: systemd is not installed (deploy/install-deps.sh installs it)"
fi

step "the backup wrapper"
# A binary without `motcua backup` (older releases): the wrapper must fail loudly, writing nothing.
if ! run_as /usr/bin/motcua backup --help >/dev/null 2>&1; then
  if err=$(run_as env MOTCUA_BACKUP_DIR=/var/backups/motcua /usr/lib/motcua/motcua-backup 2>&1); then
    fail "motcua-backup succeeded without 'motcua backup': $err"
  fi
  grep -q "has no 'backup' command" <<<"$err" || fail "motcua-backup said: $err"
  [ -z "$(ls -A /var/backups/motcua)" ] || fail "motcua-backup wrote into /var/backups/motcua"
fi
# Keeping the newest N, with a stand-in for `motcua backup` (its archive is one line).
mkdir -p "$work/fake" "$work/backups"
cat >"$work/fake/motcua" <<'EOF'
#!/bin/sh
[ "$1" = backup ] || exit 2
case "$2" in
  --help) exit 0 ;;
  --verify) grep -q '^archive$' "$3" ;;
  --data-dir) echo archive >"$4" ;;
  *) exit 2 ;;
esac
EOF
chmod +x "$work/fake/motcua"
for d in 20261101 20261102 20261103 20261104 20261105; do touch "$work/backups/motcua-${d}T123000Z.backup"; done
touch "$work/backups/notes.txt"
MOTCUA_BIN="$work/fake/motcua" MOTCUA_BACKUP_DIR="$work/backups" MOTCUA_BACKUP_KEEP=3 MOTCUA_DATA_DIR=/var/lib/motcua \
  /usr/lib/motcua/motcua-backup >"$work/backup.log" 2>&1 || { cat "$work/backup.log"; fail "motcua-backup with a working backup"; }
kept=$(find "$work/backups" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ')
new=$(find "$work/backups" -mindepth 1 -printf '%f\n' | grep -vE '^motcua-2026110[45]T|^notes.txt$' || true)
if [ "$(wc -w <<<"$new")" != 1 ] || ! [[ "$new" =~ ^motcua-[0-9]{8}T[0-9]{6}Z\.backup$ ]] ||
   [ "$(cat "$work/backups/$new")" != archive ]; then
  fail "motcua-backup kept: $kept"
fi
[ "$(wc -w <<<"$kept")" = 4 ] || fail "motcua-backup should keep 3 archives and notes.txt, kept: $kept"
MOTCUA_BIN="$work/fake/motcua" MOTCUA_BACKUP_DIR="$work/backups" MOTCUA_BACKUP_KEEP=0 /usr/lib/motcua/motcua-backup \
  >/dev/null 2>&1 && fail "MOTCUA_BACKUP_KEEP=0 was accepted"

step "init, user add and serve as the service user, with the unit's ExecStart line"
run_as /usr/bin/motcua init --role point --name pkg-test --agency-code 000.00.01.H22 --data-dir /var/lib/motcua >/dev/null
[ "$(stat -c %U /var/lib/motcua/motcua.db)" = motcua ] || fail "motcua.db is not owned by motcua"
run_as /usr/bin/motcua config set listen 127.0.0.1:0 --data-dir /var/lib/motcua >/dev/null
echo 'package-test-password' | run_as /usr/bin/motcua user add lan --role clerk --full-name 'Nguyễn Thị Lan' \
  --data-dir /var/lib/motcua >/dev/null
# A hub on loopback (root, in the scratch folder) that the point joins, so the
# daemon's background sync runs too (name lookup, connect, signed exchange).
/usr/bin/motcua init --role hub --name pkg-hub --data-dir "$work/hub" >/dev/null
code=$(/usr/bin/motcua point add pkg-test --area an-thi --agency 000.00.01.H22 --data-dir "$work/hub" |
       sed -n 's/^enrolment code: //p')
[ -n "$code" ] || fail "point add printed no enrolment code"
/usr/bin/motcua serve --listen 127.0.0.1:0 --data-dir "$work/hub" 2>"$work/hub.log" &
hub_pid=$!
hub_port=$(wait_for_port "$work/hub.log" "$hub_pid") || fail "the hub did not start: $(cat "$work/hub.log")"
run_as /usr/bin/motcua join --hub "http://localhost:$hub_port" --code "$code" --data-dir /var/lib/motcua >/dev/null ||
  fail "join"
exec_start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/motcua.service)
[ "$exec_start" = "/usr/bin/motcua serve --data-dir /var/lib/motcua" ] || fail "ExecStart is '$exec_start'"
read -r -a exec_argv <<<"$exec_start"
tracer=()
if command -v strace >/dev/null && strace -f -qq -o /dev/null true 2>/dev/null; then
  tracer=(strace -f -qq -o "$work/strace")
fi
(cd / && exec "${tracer[@]}" setpriv --reuid motcua --regid motcua --init-groups --no-new-privs --bounding-set -all \
  --inh-caps -all -- "${exec_argv[@]}") 2>"$work/serve.log" &
serve_pid=$!
port=$(wait_for_port "$work/serve.log" "$serve_pid") || { cat "$work/serve.log"; fail "serve did not start"; }
base=http://127.0.0.1:$port
[ "$(curl -s -m 10 "$base/healthz")" = '{"status":"ok"}' ] || fail "GET /healthz"
curl -s -m 10 -o "$work/ui.html" "$base/"
grep -qi '<html' "$work/ui.html" || fail "GET / is not the web UI (it is built into the binary)"
token=$(curl -s -m 10 -X POST "$base/api/v1/sessions" -d '{"username":"lan","password":"package-test-password"}' |
        sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || fail "sign-in failed"
status=$(curl -s -m 10 -o "$work/intake" -w '%{http_code}' -X POST "$base/api/v1/dossiers" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data-binary @"$root/tests/package/intake.json")
[ "$status" = 201 ] || fail "intake answered $status: $(cat "$work/intake")"
# An attachment: the first write into blobs/ (a folder created on demand).
printf '%%PDF-1.4\n%% package test\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%%%EOF\n' >"$work/scan.pdf"
status=$(curl -s -m 10 -o "$work/blob" -w '%{http_code}' -X POST "$base/api/v1/blobs" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/pdf' --data-binary @"$work/scan.pdf")
[ "$status" = 201 ] || fail "attachment upload answered $status: $(cat "$work/blob")"
# The background sync reached the hub (it runs at start).
for _ in $(seq 100); do
  grep -q 'route=/sync/v2/pull status=200' "$work/hub.log" && break
  sleep 0.1
done
grep -q 'route=/sync/v2/pull status=200' "$work/hub.log" || fail "the point's background sync never reached the hub"
# The stop signal goes to the daemon itself (under strace it is strace's child;
# strace then exits with the daemon's status).
daemon_pid=$serve_pid
if [ ${#tracer[@]} -gt 0 ]; then daemon_pid=$(pgrep -P "$serve_pid" -x motcua); fi
[ -n "$daemon_pid" ] || fail "no motcua process under pid $serve_pid"
kill -TERM "$daemon_pid"
rc=0
wait "$serve_pid" || rc=$?
serve_pid=
[ "$rc" = 0 ] || { cat "$work/serve.log"; fail "serve exited $rc after SIGTERM"; }
grep -q 'event=stopped' "$work/serve.log" || fail "no event=stopped line"
run_as /usr/bin/motcua verify --data-dir /var/lib/motcua >/dev/null || fail "motcua verify after serve"

step "the daily backup as the service runs it: an archive appears, verifies and restores"
# (Only the archives this test makes are removed: a file there before it is a real backup.)
new_archives() { find /var/backups/motcua -mindepth 1 -printf '%f\n' | sort | comm -13 "$work/backups-before" -; }
find /var/backups/motcua -mindepth 1 -printf '%f\n' | sort >"$work/backups-before"
run_as env MOTCUA_BACKUP_DIR=/var/backups/motcua /usr/lib/motcua/motcua-backup >"$work/backup-real.log" 2>&1 ||
  { new_archives | sed 's|^|/var/backups/motcua/|' | xargs -r rm -f; cat "$work/backup-real.log"; fail "motcua-backup as motcua"; }
archives=$(new_archives)
new_archives | sed 's|^|/var/backups/motcua/|' >"$work/made-archives"
[[ "$archives" =~ ^motcua-[0-9]{8}T[0-9]{6}Z\.backup$ ]] || fail "motcua-backup left: $archives"
archive=/var/backups/motcua/$archives
[ "$(stat -c '%U %a' "$archive")" = "motcua 600" ] || fail "$archive is $(stat -c '%U %a' "$archive")"
run_as /usr/bin/motcua backup --verify "$archive" >"$work/verify.log" || fail "backup --verify: $(cat "$work/verify.log")"
grep -q '^backup OK: .* 1 dossiers, .* 1 attachments' "$work/verify.log" || fail "backup --verify said: $(cat "$work/verify.log")"
tar tf "$archive" >"$work/archive.list" || fail "tar tf $archive"
[ "$(head -1 "$work/archive.list")" = manifest.json ] || fail "tar tf: the manifest is not first"
/usr/bin/motcua restore "$archive" --data-dir "$work/restored" >"$work/restore.log" || fail "restore: $(cat "$work/restore.log")"
grep -q 'RESTORING' "$work/restore.log" || fail "the restored (enrolled) point is not restoring: $(cat "$work/restore.log")"
/usr/bin/motcua verify --data-dir "$work/restored" >/dev/null || fail "the restored node does not verify"
rm -f "$archive"
kill -TERM "$hub_pid"
wait "$hub_pid" || fail "the hub did not stop cleanly"
hub_pid=

if [ ${#tracer[@]} -gt 0 ] && command -v systemd-analyze >/dev/null; then
  step "serve's system calls: all in @system-service, sockets AF_INET/AF_INET6/AF_UNIX, writes only in /var/lib/motcua"
  expand() {
    systemd-analyze syscall-filter "$1" | sed -n 's/^    //p' | grep -v '^#' | while read -r s; do
      case $s in @*) expand "$s" ;; *) echo "$s" ;; esac
    done
  }
  expand @system-service | sort -u >"$work/allowed"
  [ "$(wc -l <"$work/allowed")" -gt 100 ] || fail "could not list @system-service"
  sed -n '/execve("\/usr\/bin\/motcua"/,$p' "$work/strace" | grep -oE '^[0-9]+ +[a-z_0-9]+\(' |
    sed -E 's/^[0-9]+ +//; s/\($//' | sort -u >"$work/used"
  [ "$(wc -l <"$work/used")" -gt 20 ] || fail "strace saw almost nothing"
  grep -qE "connect\(.*htons\($hub_port\)" "$work/strace" || fail "strace did not see the sync connect to the hub"
  outside=$(comm -23 "$work/used" "$work/allowed" | tr '\n' ' ')
  [ -z "$outside" ] || fail "serve made system calls outside @system-service: $outside"
  # What ProtectSystem=strict + ReadWritePaths, ProtectHome and PrivateTmp
  # would stop: a write outside /var/lib/motcua, any look into /home, /root, /tmp.
  sed -n '/execve("\/usr\/bin\/motcua"/,$p' "$work/strace" >"$work/strace.daemon"
  grep -E '^[0-9]+ +(openat\(.*(O_WRONLY|O_RDWR|O_CREAT)|open\(.*(O_WRONLY|O_RDWR|O_CREAT)|creat|mkdir|mkdirat|unlink|unlinkat|rename|renameat|renameat2|rmdir|truncate|chmod|fchmodat|chown|fchownat|lchown|link|linkat|symlink|symlinkat|mknod|mknodat)\(' \
    "$work/strace.daemon" | grep -oE '"/[^"]*"' | tr -d '"' | sort -u >"$work/written"
  grep -q '^/var/lib/motcua/blobs' "$work/written" || fail "strace saw no write into /var/lib/motcua/blobs"
  outside=$(grep -vE '^/var/lib/motcua(/|$)' "$work/written" | tr '\n' ' ' || true)
  [ -z "$outside" ] || fail "serve wrote outside /var/lib/motcua: $outside"
  private=$(grep -oE '"/(home|root|tmp|var/tmp|run/user)(/[^"]*)?"' "$work/strace.daemon" | sort -u | tr '\n' ' ' || true)
  [ -z "$private" ] || fail "serve looked into $private (ProtectHome/PrivateTmp would hide it)"
  families=$(grep -oE ' socket\(AF_[A-Z0-9]+' "$work/strace" | sed 's/.*(//' | sort -u | tr '\n' ' ')
  for f in $families; do
    case $f in AF_INET | AF_INET6 | AF_UNIX) ;; *) fail "serve opened a socket of family $f" ;; esac
  done
  step "the backup's system calls: all in @system-service, no socket but AF_UNIX, writes only in its two folders"
  strace -f -qq -o "$work/strace.backup" setpriv --reuid motcua --regid motcua --init-groups --no-new-privs \
    --bounding-set -all --inh-caps -all -- env MOTCUA_BACKUP_DIR=/var/backups/motcua /usr/lib/motcua/motcua-backup \
    >"$work/backup-strace.log" 2>&1 || { cat "$work/backup-strace.log"; fail "motcua-backup under strace"; }
  sed -n '/execve("\/usr\/bin\/motcua", \["\/usr\/bin\/motcua", "backup", "--data-dir"/,$p' "$work/strace.backup" \
    >"$work/strace.backup.motcua"
  [ -s "$work/strace.backup.motcua" ] || fail "strace did not see motcua backup"
  grep -oE '^[0-9]+ +[a-z_0-9]+\(' "$work/strace.backup.motcua" | sed -E 's/^[0-9]+ +//; s/\($//' | sort -u >"$work/used.backup"
  outside=$(comm -23 "$work/used.backup" "$work/allowed" | tr '\n' ' ')
  [ -z "$outside" ] || fail "motcua backup made system calls outside @system-service: $outside"
  grep -E '^[0-9]+ +(openat\(.*(O_WRONLY|O_RDWR|O_CREAT)|creat|mkdir|mkdirat|unlink|unlinkat|rename|renameat|renameat2|rmdir|link|linkat)\(' \
    "$work/strace.backup.motcua" | grep -oE '"/[^"]*"' | tr -d '"' | sort -u >"$work/written.backup"
  grep -q '^/var/backups/motcua/motcua-.*\.backup\.part\.tmp-' "$work/written.backup" || fail "strace saw no temporary archive"
  outside=$(grep -vE '^/var/(lib|backups)/motcua(/|$)' "$work/written.backup" | tr '\n' ' ' || true)
  [ -z "$outside" ] || fail "motcua backup wrote outside /var/lib/motcua and /var/backups/motcua: $outside"
  families=$(grep -oE ' socket\(AF_[A-Z0-9]+' "$work/strace.backup.motcua" | sed 's/.*(//' | sort -u | tr '\n' ' ' || true)
  for f in $families; do [ "$f" = AF_UNIX ] || fail "motcua backup opened a socket of family $f"; done
  new_archives | sed 's|^|/var/backups/motcua/|' >>"$work/made-archives"
else
  echo "SKIP system call check: strace is not usable here"
fi

step "dpkg -r keeps the data; purge keeps it unless asked"
dpkg -r motcua >/dev/null
[ ! -e /usr/bin/motcua ] || fail "/usr/bin/motcua still there after dpkg -r"
data_kept() { [ -s /var/lib/motcua/motcua.db ] && [ -s /var/lib/motcua/node.key ]; }
data_kept || fail "dpkg -r removed data"
dpkg --purge motcua >"$work/purge.log" 2>&1
data_kept || fail "dpkg --purge removed data without being asked"
grep -q "is kept" "$work/purge.log" || fail "purge did not say the data is kept"
getent passwd motcua >/dev/null || fail "purge removed the user motcua"
[ ! -e /etc/systemd/system/multi-user.target.wants/motcua.service ] || fail "purge left motcua.service enabled"
# Reinstalling over the kept data: the node is still there and opens.
dpkg -i "$deb" >/dev/null 2>&1 || fail "dpkg -i over kept data"
run_as /usr/bin/motcua verify --data-dir /var/lib/motcua >/dev/null || fail "the kept node does not verify after reinstall"
[ "$(stat -c '%U:%G %a' /var/lib/motcua)" = "motcua:motcua 700" ] || fail "reinstalling changed /var/lib/motcua (init made it 0700)"
run_as /usr/bin/motcua user list --data-dir /var/lib/motcua | grep -qP '^lan\tclerk\t' || fail "the user lan is gone after reinstall"
touch /var/lib/motcua/DELETE-ON-PURGE
dpkg --purge motcua >/dev/null 2>&1
[ ! -e /var/lib/motcua ] || fail "purge with /var/lib/motcua/DELETE-ON-PURGE left the data"
[ -d /var/backups/motcua ] || fail "purge removed /var/backups/motcua"
dpkg -i "$deb" >/dev/null 2>&1 || fail "dpkg -i after a purge"
run_as /usr/bin/motcua init --role hub --name pkg-hub --data-dir /var/lib/motcua >/dev/null
MOTCUA_PURGE_DATA=yes dpkg --purge motcua >/dev/null 2>&1
[ ! -e /var/lib/motcua ] || fail "MOTCUA_PURGE_DATA=yes purge left the data"

echo "PASS package_test ($(basename "$deb"))"
