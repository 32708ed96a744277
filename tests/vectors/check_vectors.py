#!/usr/bin/env python3
"""Checks journal-v1.json with a second, independent implementation of the
journal format (Python's json, hashlib and unicodedata, plus the
`cryptography` package for Ed25519: Debian python3-cryptography).

Not run by ctest (the C++ vectors_test is); run it by hand after changing the
vectors or docs/journal-format.md:  python3 tests/vectors/check_vectors.py
It shows the format can be reproduced from its written description alone:
Python's json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
produces exactly the canonical bytes for the values motcua allows.
"""
import hashlib
import json
import os
import unicodedata
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
HERE = os.path.dirname(os.path.abspath(__file__))
v = json.load(open(os.path.join(HERE, 'journal-v1.json'), encoding='utf-8'))
MAX = 2**53 - 1
def check(x):
    if isinstance(x, bool) or x is None: return
    if isinstance(x, float): raise ValueError('float')
    if isinstance(x, int):
        if abs(x) > MAX: raise ValueError('range')
        return
    if isinstance(x, str):
        if unicodedata.normalize('NFC', x) != x: raise ValueError('nfc')
        return
    if isinstance(x, list):
        for e in x: check(e)
        return
    for k, e in x.items():
        check(k); check(e)
def canon(x):
    check(x)
    return json.dumps(x, sort_keys=True, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
keys = {}
for k in v['keys']:
    sk = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(k['seed_hex']))
    pk = sk.public_key().public_bytes_raw().hex()
    assert pk == k['public_key_hex'], k['name']
    keys[k['name']] = sk
prefix = v['signing_prefix'].encode()
for e in v['entries']:
    c = canon(e['signed'])
    assert c == e['canonical'].encode('utf-8'), (c, e['canonical'])
    assert c.hex() == e['canonical_hex']
    assert hashlib.blake2b(c, digest_size=32).hexdigest() == e['id']
    assert keys[e['key']].sign(prefix + c).hex() == e['sig']
for a in v['canonical_json']['accept']:
    c = canon(json.loads(a['input']))
    assert c == a['canonical'].encode('utf-8'), (a, c)
    assert c.hex() == a['canonical_hex']
for r in v['canonical_json']['refuse']:
    try:
        canon(json.loads(r['input']))
        raise SystemExit('accepted: ' + r['input'])
    except ValueError:
        pass
print('python cross-check OK:', len(v['entries']), 'entries,', len(v['canonical_json']['accept']), 'accept,', len(v['canonical_json']['refuse']), 'refuse')
