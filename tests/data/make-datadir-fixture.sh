#!/usr/bin/env bash
# Writes a data-dir fixture for the upgrade tests (tests/unit/upgrade_test.cpp):
# the hub and the point xa-an-thi as `motcua demo` leaves them (users with the
# password demo-password, no key passphrase, dossiers synced both ways, one
# conflict), plus expected.json with what the test checks after opening them
# with a later motcua. Run it once per released version and commit the output:
#   tests/data/make-datadir-fixture.sh build/motcua tests/data/datadir-$(build/motcua --version | cut -d' ' -f2)
# Existing fixtures are never regenerated: they are what older versions wrote.
set -euo pipefail
bin=$(realpath "$1")
out=$2
[ ! -e "$out/expected.json" ] || { echo "$out already holds a fixture; not overwritten" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" demo --dir "$work/demo" >"$work/demo.log"
mkdir -p "$out"
for n in hub point-xa-an-thi; do
  mkdir -p "$out/$n"
  cp "$work/demo/$n/node.key" "$out/$n/"
  python3 - "$work/demo/$n/motcua.db" "$out/$n/motcua.db" <<'PY'
import sqlite3, sys
src = sqlite3.connect(sys.argv[1])
src.execute("PRAGMA wal_checkpoint(TRUNCATE)")
src.execute("VACUUM INTO ?", (sys.argv[2],))
PY
done
python3 - "$out" "$("$bin" --version)" <<'PY'
import json, sqlite3, sys
out, version = sys.argv[1], sys.argv[2]
nodes = {}
for n in ("hub", "point-xa-an-thi"):
    c = sqlite3.connect(f"{out}/{n}/motcua.db")
    meta = dict(c.execute("SELECT key, value FROM node_meta WHERE key IN ('name', 'role', 'public_key', 'epoch')"))
    nodes[n] = {
        "schema_version": c.execute("PRAGMA user_version").fetchone()[0],
        "meta": meta,
        "journal_entries": c.execute("SELECT COUNT(*) FROM journal").fetchone()[0],
        "dossiers": {code: status for code, status in c.execute("SELECT code, status FROM dossier_index ORDER BY code")},
        "users": sorted(u for (u,) in c.execute("SELECT username FROM users")),
    }
json.dump({"written_by": version, "password": "demo-password", "nodes": nodes}, open(f"{out}/expected.json", "w"),
          ensure_ascii=False, indent=1, sort_keys=True)
PY
echo "fixture written to $out"
