#!/usr/bin/env python3
"""A lost point continues on a new PC, end to end with the real binary (issue 11;
docs/sync-protocol.md 15.3, docs/install.md "Replacing a dead PC").

A hub and a point on loopback: the point takes two dossiers in (one with an
attachment) and syncs; its data directory is deleted (a copy is kept aside as
"the dead PC coming back"); `point add --replace` at the hub, `restore
--from-hub` into a new directory; then the new PC serves every dossier and the
attachment, its next code is outside the old block, and the old key is refused.
Usage: succession_e2e.py path/to/motcua
"""
import json
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from motcua_e2e import Daemon, birth_registration, fail, http, run, setup, sign_in  # noqa: E402

MOTCUA = os.path.abspath(sys.argv[1])
setup(MOTCUA, "succession_e2e")
AGENCY = "000.00.01.H22"
PASSWORD = "succession-test-password"
PDF = b"%PDF-1.4\n% succession test\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
INTAKE = birth_registration("Nguyễn Văn Bình", "001010000001", "0912345678",
                            "Thôn Đông, xã Ân Thi, tỉnh Hưng Yên", "Nguyễn Thị Cúc", "2025-06-28")


def number_of(code):
    return int(code.rsplit("-", 1)[1])


def main():
    work = tempfile.mkdtemp(prefix="motcua-succession-")
    daemons = []
    try:
        hub, old, aside, new = (os.path.join(work, d) for d in ("hub", "point", "dead-pc", "new-pc"))
        run("init", "--role", "hub", "--name", "hub", "--agency-code", AGENCY, "--data-dir", hub)
        out = run("point", "add", "xa-an-thi", "--area", "an-thi", "--agency", AGENCY, "--daily-capacity", "10",
                  "--lease-days", "3", "--data-dir", hub).stdout
        code = re.search(r"^enrolment code: (\S+)$", out, re.M).group(1)
        h = Daemon(hub, os.path.join(work, "hub.log"))
        daemons.append(h)
        url = "http://localhost:%d" % h.port

        # The point: joined, two intakes (one with an attachment), synced.
        run("init", "--role", "point", "--name", "xa-an-thi", "--data-dir", old)
        run("user", "add", "lan", "--role", "clerk", "--full-name", "Nguyễn Thị Lan", "--data-dir", old,
            stdin=PASSWORD + "\n")
        run("join", "--hub", url, "--code", code, "--data-dir", old)
        p = Daemon(old, os.path.join(work, "point.log"))
        daemons.append(p)
        token = sign_in(p.port, "lan", PASSWORD)
        st, body = http(p.port, "POST", "/api/v1/blobs", PDF, token, "application/pdf")
        if st != 201:
            fail("attachment upload answered %d: %s" % (st, body))
        blob = json.loads(body)["id"]
        codes = []
        for attachments in ([blob], []):
            st, body = http(p.port, "POST", "/api/v1/dossiers", dict(INTAKE, attachments=attachments), token)
            if st != 201:
                fail("intake answered %d: %s" % (st, body))
            codes.append(json.loads(body)["code"])
        p.stop()
        run("sync", "--once", "--data-dir", old)
        # The PC dies; a copy stands for it coming back later.
        shutil.copytree(old, aside)
        shutil.rmtree(old)

        # At the hub: a replacement code. Refusals first: a non-empty directory, a wrong code.
        out = run("point", "add", "xa-an-thi", "--replace", "--data-dir", hub).stdout
        rcode = re.search(r"^replacement code for point 'xa-an-thi': (\S+)$", out, re.M).group(1)
        os.makedirs(new)
        open(os.path.join(new, "something"), "w").close()
        r = run("restore", "--from-hub", url, "--code", rcode, "--data-dir", new, ok=False)
        if r.returncode == 0 or "already_exists" not in r.stderr:
            fail("restore into a non-empty directory: %d %s" % (r.returncode, r.stderr))
        os.remove(os.path.join(new, "something"))
        r = run("restore", "--from-hub", url, "--code", "AAAA-BBBB-CCCC", "--data-dir", new, ok=False)
        if r.returncode == 0 or "enrolment_refused" not in r.stderr or os.listdir(new):
            fail("restore with a wrong code: %d %s %s" % (r.returncode, r.stderr, os.listdir(new)))
        os.rmdir(new)
        # The restore proper, into an absent directory.
        r = run("restore", "--from-hub", url, "--code", rcode, "--data-dir", new)
        if "intake is open" not in r.stdout:
            fail("restore said: " + r.stdout + r.stderr)
        # The code is spent.
        other = os.path.join(work, "third-pc")
        r = run("restore", "--from-hub", url, "--code", rcode, "--data-dir", other, ok=False)
        if r.returncode == 0 or "enrolment_refused" not in r.stderr or os.path.exists(other):
            fail("a used code: %d %s" % (r.returncode, r.stderr))

        # The new PC serves every dossier and the attachment, and mints a fresh number.
        run("user", "add", "lan", "--role", "clerk", "--full-name", "Nguyễn Thị Lan", "--data-dir", new,
            stdin=PASSWORD + "\n")
        n = Daemon(new, os.path.join(work, "new.log"))
        daemons.append(n)
        token = sign_in(n.port, "lan", PASSWORD)
        for c in codes:
            st, body = http(n.port, "GET", "/api/v1/dossiers/" + c, None, token)
            if st != 200:
                fail("dossier %s on the new PC: %d %s" % (c, st, body))
        st, body = http(n.port, "GET", "/api/v1/blobs/" + blob, None, token)
        if st != 200 or body != PDF:
            fail("the attachment on the new PC: %d" % st)
        st, body = http(n.port, "GET", "/api/v1/sync/status", None, token)
        status = json.loads(body)
        if status.get("restoring") or not status.get("succession"):
            fail("status after restore: %s" % body)
        st, body = http(n.port, "POST", "/api/v1/dossiers", INTAKE, token)
        if st != 201:
            fail("intake on the new PC answered %d: %s" % (st, body))
        fresh = json.loads(body)["code"]
        # The old block of each day was 1-10 (--daily-capacity 10): the new PC's is after it.
        if fresh in codes or number_of(fresh) <= 10:
            fail("the new PC's first code %s is inside the old block (old: %s)" % (fresh, codes))
        n.stop()

        # The dead PC comes back: its key is refused.
        r = run("sync", "--once", "--data-dir", aside, ok=False)
        if r.returncode == 0 or "revoked_key" not in r.stderr:
            fail("the old key's sync: %d %s" % (r.returncode, r.stderr))
        run("verify", "--data-dir", new)

        # That PC is lost too: a third one continues both former keys, its key
        # sealed with a passphrase (--protect, as init --protect).
        run("sync", "--once", "--data-dir", new)
        out = run("point", "add", "xa-an-thi", "--replace", "--data-dir", hub).stdout
        rcode = re.search(r"^replacement code for point 'xa-an-thi': (\S+)$", out, re.M).group(1)
        third = os.path.join(work, "third-pc")
        sealed = dict(os.environ, MOTCUA_PASSPHRASE="mat-khau-xa-an-thi")
        run("restore", "--from-hub", url, "--code", rcode, "--data-dir", third, "--protect", env=sealed)
        r = run("verify", "--data-dir", third, ok=False, env={k: v for k, v in os.environ.items()
                                                               if k != "MOTCUA_PASSPHRASE"})
        if r.returncode == 0 or "passphrase_required" not in r.stderr:
            fail("the third PC's key is not sealed: %d %s" % (r.returncode, r.stderr))
        run("user", "add", "lan", "--role", "clerk", "--full-name", "Nguyễn Thị Lan", "--data-dir", third,
            stdin=PASSWORD + "\n", env=sealed)
        d3 = Daemon(third, os.path.join(work, "third.log"), env=sealed)
        daemons.append(d3)
        token = sign_in(d3.port, "lan", PASSWORD)
        for c in codes + [fresh]:
            st, body = http(d3.port, "GET", "/api/v1/dossiers/" + c, None, token)
            if st != 200:
                fail("dossier %s on the third PC: %d %s" % (c, st, body))
        st, body = http(d3.port, "POST", "/api/v1/dossiers", INTAKE, token)
        if st != 201:
            fail("intake on the third PC answered %d: %s" % (st, body))
        third_code = json.loads(body)["code"]
        if number_of(third_code) <= number_of(fresh) + 9:  # after the second PC's block of 10
            fail("the third PC's first code %s is inside an earlier block (%s)" % (third_code, fresh))
        print("succession_e2e: ok (%s restored, fresh codes %s, %s)" % (", ".join(codes), fresh, third_code))
    finally:
        for d in daemons:
            d.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
