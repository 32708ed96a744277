"""Helpers shared by the end-to-end scripts (tests/*/..._e2e.py): the motcua
binary run as a user would, its daemon on an ephemeral loopback port, and its
HTTP API. A script calls setup(path_to_motcua, "name_of_test") first."""
import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

MOTCUA = None
NAME = "e2e"


def setup(binary, name):
    global MOTCUA, NAME
    MOTCUA, NAME = binary, name


def fail(msg):
    print("FAIL %s: %s" % (NAME, msg), file=sys.stderr)
    sys.exit(1)


def run(*args, ok=True, stdin=None, env=None, timeout=120):
    p = subprocess.run([MOTCUA, *args], input=stdin, capture_output=True, text=True, timeout=timeout, env=env)
    if ok and p.returncode != 0:
        fail("motcua %s exited %d: %s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p


class Daemon:
    """`motcua serve` on 127.0.0.1:0; .port once it listens, .stop() sends SIGTERM."""

    def __init__(self, data_dir, log, env=None):
        self.log = log
        self.f = open(log, "w")
        self.p = subprocess.Popen([MOTCUA, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir],
                                  stdout=subprocess.DEVNULL, stderr=self.f, env=env)
        for _ in range(300):
            m = re.search(r"event=listening addr=127\.0\.0\.1:(\d+) ", open(log).read())
            if m:
                self.port = int(m.group(1))
                return
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        fail("serve %s did not start: %s" % (data_dir, open(log).read()))

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        if not self.f.closed:
            self.f.close()


def http(port, method, path, body=None, token=None, ctype="application/json"):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", ctype)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def sign_in(port, username, password):
    st, body = http(port, "POST", "/api/v1/sessions", {"username": username, "password": password})
    if st not in (200, 201):
        fail("sign-in answered %d: %s" % (st, body))
    return json.loads(body)["token"]


def birth_registration(full_name, cccd, phone, address, child_name, birth_date):
    """An intake of procedure 1.001193 (birth registration) as the counter sends it."""
    return {
        "procedure_code": "1.001193",
        "applicant": {"full_name": full_name, "cccd": cccd, "phone": phone, "address": address},
        "channel": "counter",
        "form": {"child_name": child_name, "birth_date": birth_date},
        "attachments": [],
        "documents": [
            {"name": "Tờ khai đăng ký khai sinh theo mẫu", "originals": 1, "copies": 0},
            {"name": "Bản chính Giấy chứng sinh (không có thì văn bản của người làm chứng hoặc giấy cam đoan về việc "
                     "sinh)", "originals": 1, "copies": 0},
            {"name": "Giấy tờ tùy thân của người đi đăng ký (xuất trình)", "originals": 1, "copies": 0},
        ],
    }
