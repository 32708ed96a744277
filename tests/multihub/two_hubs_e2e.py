#!/usr/bin/env python3
"""Two hub processes on one PostgreSQL, points syncing through both in turn
(issue 12; docs/postgres.md "Several hub processes", docs/design/0112).

One hub is initialised with hub_store=postgres; its data directory is copied to
make a second process of the same hub (same key), both with the attachments
directory on one shared folder. Two points of one area join, one through each
process, take dossiers in (one with an attachment), then sync alternately
through one process and the other. At the end both points hold every dossier
once and the attachment, both processes' journals are the same rows in the same
positions as the shared log, and `motcua verify` passes on both.
Usage: two_hubs_e2e.py path/to/motcua   (MOTCUA_TEST_POSTGRES=<libpq conninfo>)
"""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from motcua_e2e import Daemon, birth_registration, fail, http, run, setup, sign_in  # noqa: E402

MOTCUA = os.path.abspath(sys.argv[1])
setup(MOTCUA, "two_hubs_e2e")
AGENCY = "000.00.01.H22"
PASSWORD = "two-hubs-test-password"
PDF = b"%PDF-1.4\n% two hubs test\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
INTAKE = birth_registration("Trần Văn Hùng", "001010000002", "0912345679",
                            "Thôn Tây, xã Ân Thi, tỉnh Hưng Yên", "Trần Thị Mai", "2025-07-01")


def psql(conninfo, sql):
    p = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-c", sql],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        fail("psql %s: %s" % (sql, p.stderr))
    return p.stdout.strip()


def journal_ids(data_dir):
    db = sqlite3.connect(os.path.join(data_dir, "motcua.db"))
    try:
        return [(pos, bytes(i).hex()) for pos, i in db.execute("SELECT pos, id FROM journal ORDER BY pos")]
    finally:
        db.close()


def main():
    admin = os.environ.get("MOTCUA_TEST_POSTGRES", "")
    if not admin:
        fail("MOTCUA_TEST_POSTGRES is not set (deploy/pg-test-cluster.sh start DIR prints one)")
    work = tempfile.mkdtemp(prefix="motcua-two-hubs-")
    dbname = "motcua_e2e_%d" % os.getpid()
    psql(admin, "CREATE DATABASE %s TEMPLATE template0" % dbname)
    conninfo = admin + " dbname=" + dbname
    daemons = []
    try:
        hub_a, hub_b, shared = (os.path.join(work, d) for d in ("hub-a", "hub-b", "blobs"))
        run("init", "--role", "hub", "--name", "hub", "--agency-code", AGENCY, "--data-dir", hub_a)
        run("config", "set", "hub_postgres", conninfo, "--data-dir", hub_a)
        run("config", "set", "hub_store", "postgres", "--data-dir", hub_a)
        codes = {}
        for name in ("xa-an-thi", "buu-dien-an-thi"):
            out = run("point", "add", name, "--area", "an-thi", "--agency", AGENCY, "--daily-capacity", "10",
                      "--lease-days", "3", "--data-dir", hub_a).stdout
            codes[name] = re.search(r"^enrolment code: (\S+)$", out, re.M).group(1)
        # One attachments folder for both processes (a shared mount in production).
        os.makedirs(shared)
        if os.path.isdir(os.path.join(hub_a, "blobs")):
            for f in os.listdir(os.path.join(hub_a, "blobs")):
                shutil.move(os.path.join(hub_a, "blobs", f), shared)
            os.rmdir(os.path.join(hub_a, "blobs"))
        os.symlink(shared, os.path.join(hub_a, "blobs"))
        # The second process of the same hub: a copy of the first's data directory.
        shutil.copytree(hub_a, hub_b, symlinks=True)
        a = Daemon(hub_a, os.path.join(work, "hub-a.log"))
        daemons.append(a)
        b = Daemon(hub_b, os.path.join(work, "hub-b.log"))
        daemons.append(b)
        urls = ["http://localhost:%d" % a.port, "http://localhost:%d" % b.port]

        points = {}
        for i, name in enumerate(codes):
            d = os.path.join(work, name)
            run("init", "--role", "point", "--name", name, "--data-dir", d)
            run("user", "add", "lan", "--role", "clerk", "--full-name", "Nguyễn Thị Lan", "--data-dir", d,
                stdin=PASSWORD + "\n")
            run("join", "--hub", urls[i], "--code", codes[name], "--data-dir", d)
            points[name] = d

        # Intake at both points, one dossier with an attachment.
        taken = []
        blob = None
        for i, (name, d) in enumerate(points.items()):
            p = Daemon(d, os.path.join(work, name + ".log"))
            token = sign_in(p.port, "lan", PASSWORD)
            atts = []
            if i == 0:
                st, body = http(p.port, "POST", "/api/v1/blobs", PDF, token, "application/pdf")
                if st != 201:
                    fail("attachment upload answered %d: %s" % (st, body))
                blob = json.loads(body)["id"]
                atts = [blob]
            for k in range(2):
                st, body = http(p.port, "POST", "/api/v1/dossiers", dict(INTAKE, attachments=atts if k == 0 else []),
                                token)
                if st != 201:
                    fail("intake at %s answered %d: %s" % (name, st, body))
                taken.append(json.loads(body)["code"])
            p.stop()

        # Rounds of sync, each point alternating between the two processes.
        for rnd in range(3):
            for i, (name, d) in enumerate(points.items()):
                url = urls[(i + rnd) % 2]
                run("config", "set", "hub_url", url, "--data-dir", d)
                r = run("sync", "--once", "--data-dir", d)
                if "error" in r.stdout.lower() and "errors: 0" not in r.stdout.lower():
                    fail("sync of %s through %s: %s" % (name, url, r.stdout))
            if rnd == 0:
                # The attachment went up through the first process; the second
                # point, which has synced only through the other one, has it.
                db = sqlite3.connect(os.path.join(points["buu-dien-an-thi"], "motcua.db"))
                held = db.execute("SELECT count(*) FROM blobs WHERE id = ?", (blob,)).fetchone()[0]
                db.close()
                if held != 1:
                    fail("the attachment did not reach a point through the other hub process")
        if len(set(taken)) != len(taken):
            fail("a dossier number was given twice: %s" % taken)

        # Every point holds every dossier once, and the attachment.
        for name, d in points.items():
            p = Daemon(d, os.path.join(work, name + "-check.log"))
            token = sign_in(p.port, "lan", PASSWORD)
            for c in taken:
                st, body = http(p.port, "GET", "/api/v1/dossiers/" + c, None, token)
                if st != 200:
                    fail("dossier %s at %s: %d %s" % (c, name, st, body))
            st, body = http(p.port, "GET", "/api/v1/dossiers?limit=100", None, token)
            listed = [x["code"] for x in json.loads(body).get("dossiers", json.loads(body).get("items", []))]
            if sorted(listed) != sorted(taken):
                fail("dossiers listed at %s: %s (taken: %s)" % (name, listed, taken))
            st, body = http(p.port, "GET", "/api/v1/blobs/" + blob, None, token)
            if st != 200 or body != PDF:
                fail("the attachment at %s: %d" % (name, st))
            p.stop()

        # Both processes hold the log's rows, in its positions (each catches up
        # on a request: one more sync through each).
        for i, (name, d) in enumerate(points.items()):
            for url in urls:
                run("config", "set", "hub_url", url, "--data-dir", d)
                run("sync", "--once", "--data-dir", d)
        for dmn in daemons:
            dmn.stop()
        log_count = int(psql(conninfo, "SELECT count(*) FROM motcua.hub_journal"))
        log_last = int(psql(conninfo, "SELECT coalesce(max(pos), 0) FROM motcua.hub_journal"))
        ids_a, ids_b = journal_ids(hub_a), journal_ids(hub_b)
        if log_count != log_last or ids_a != ids_b or len(ids_a) != log_count:
            fail("journals differ: log %d rows (last %d), hub-a %d, hub-b %d" % (log_count, log_last, len(ids_a),
                                                                              len(ids_b)))
        log_ids = psql(conninfo, "SELECT string_agg(encode(id, 'hex'), ',' ORDER BY pos) FROM motcua.hub_journal")
        if log_ids.split(",") != [i for _, i in ids_a]:
            fail("the hub processes' journals are not the log's rows")
        for hd in (hub_a, hub_b):
            run("verify", "--data-dir", hd)
        for d in points.values():
            run("verify", "--data-dir", d)
        print("two_hubs_e2e: ok (%d dossiers through 2 hub processes, %d journal rows on the log)" %
              (len(taken), log_count))
    finally:
        for d in daemons:
            d.stop()
        shutil.rmtree(work, ignore_errors=True)
        subprocess.run(["psql", "-X", "-q", "-d", admin, "-c", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % dbname],
                       capture_output=True, timeout=60)


if __name__ == "__main__":
    main()
