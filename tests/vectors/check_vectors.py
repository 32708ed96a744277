#!/usr/bin/env python3
"""Checks journal-v1.json and ed25519-edge.json with a second, independent
implementation of the journal format and of the signature validity rule
(Python's json, hashlib and unicodedata, and the pure-Python Ed25519 of
ed25519_ref.py: nothing beyond the standard library).

ctest runs it (test vectors_checker); by hand:  python3 tests/vectors/check_vectors.py
It shows the format can be reproduced from its written description alone:
Python's json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
produces exactly the canonical bytes for the values motcua allows, and the
strict Ed25519 rule of docs/journal-format.md gives the listed verdicts.
"""
import hashlib
import json
import os
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, HERE)
import ed25519_ref as ed  # noqa: E402
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
    seed = bytes.fromhex(k['seed_hex'])
    pk = ed.public_key(seed).hex()
    assert pk == k['public_key_hex'], k['name']
    keys[k['name']] = (seed, bytes.fromhex(pk))
prefix = v['signing_prefix'].encode()
for e in v['entries']:
    c = canon(e['signed'])
    assert c == e['canonical'].encode('utf-8'), (c, e['canonical'])
    assert c.hex() == e['canonical_hex']
    assert hashlib.blake2b(c, digest_size=32).hexdigest() == e['id']
    seed, pk = keys[e['key']]
    assert ed.sign(seed, prefix + c).hex() == e['sig']
    assert ed.verify_strict(pk, prefix + c, bytes.fromhex(e['sig']))
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
edge = json.load(open(os.path.join(HERE, 'ed25519-edge.json'), encoding='utf-8'))
eprefix = edge['signing_prefix'].encode()
names = set()
for x in edge['vectors']:
    msg = eprefix + x['message'].encode('utf-8')
    pk, sig = bytes.fromhex(x['public_key_hex']), bytes.fromhex(x['sig_hex'])
    got = ed.verify_strict(pk, msg, sig)
    assert got == x['valid'], (x['name'], 'strict', got)
    assert ed.verify_lax(pk, msg, sig) == x['lax_valid'], (x['name'], 'lax')
    names.add(x['name'])
# The cases the rule is about are all there, and each refused one would pass a lax check.
for n in ('baseline', 'non_canonical_s', 'small_order_key_identity', 'small_order_r', 'mixed_order_key_h_multiple_of_8',
          'mixed_order_key_h_not_multiple_of_8', 'non_canonical_key'):
    assert n in names, n
assert sum(1 for x in edge['vectors'] if not x['valid'] and x['lax_valid']) >= 5
print('python cross-check OK:', len(v['entries']), 'entries,', len(v['canonical_json']['accept']), 'accept,', len(v['canonical_json']['refuse']), 'refuse,', len(edge['vectors']), 'ed25519 edge vectors')
