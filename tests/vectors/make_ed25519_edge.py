#!/usr/bin/env python3
"""Writes ed25519-edge.json: Ed25519 signatures at the edges of the validity
rule of docs/journal-format.md ("Signature validity"), each with the verdict
of that rule (valid) and of a permissive verifier (lax_valid). Deterministic:
running it again writes the same file. Pure Python (ed25519_ref.py).

    python3 tests/vectors/make_ed25519_edge.py
"""
import json
import os
import sys

sys.dont_write_bytecode = True
import ed25519_ref as ed  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PREFIX = b'motcua/v1/journal-entry\n'
SEED = bytes(range(32))  # the signer of the vectors that have one

a, nonce_prefix = ed.expand(SEED)
A = ed.mul(a, ed.B)
A_BYTES = ed.encode(A)


def h_of(R, pk, message):
    return ed.sha512_mod_l(R, pk, PREFIX + message)


def grind(base, want):
    """The first message base + ' #k' for which want(message) holds."""
    k = 0
    while True:
        m = (base + ' #' + str(k)).encode()
        if want(m):
            return m
        k += 1


def torsion8():
    for y in sorted(ed.SMALL_ORDER_YS):
        x = ed.recover_x(y, 0)
        if x is None:
            continue
        T = ed.point(x, y)
        if not ed.equal(ed.mul(4, T), ed.IDENTITY):
            return T
    raise SystemExit('no point of order 8')


T8 = torsion8()
vectors = []


def add(name, note, pk, message, sig):
    vectors.append({
        'name': name,
        'note': note,
        'public_key_hex': pk.hex(),
        'message': message.decode(),
        'sig_hex': sig.hex(),
        'valid': ed.verify_strict(pk, PREFIX + message, sig),
        'lax_valid': ed.verify_lax(pk, PREFIX + message, sig),
    })


# 1. A valid signature (the baseline).
m = b'motcua edge vector: baseline'
good = ed.sign(SEED, PREFIX + m)
add('baseline', 'an ordinary valid signature', A_BYTES, m, good)

# 2. S + L: the same point [S]B, but S is not below L.
S = int.from_bytes(good[32:], 'little')
add('non_canonical_s', 'S replaced by S + L (not canonical: S must be < L)', A_BYTES, m,
    good[:32] + (S + ed.L).to_bytes(32, 'little'))

# 3. The public key is the identity (order 1): [h]A = 0, so S = r passes the equation for any message.
ident = ed.encode(ed.IDENTITY)
r = ed.sha512_mod_l(b'r for small-order key')
R = ed.encode(ed.mul(r, ed.B))
m = b'motcua edge vector: small-order key (identity)'
add('small_order_key_identity', 'A is the identity point: any message "verifies" without a secret key', ident, m,
    R + r.to_bytes(32, 'little'))

# 4. The public key is a point of order 8: S = r passes whenever 8 divides h.
t8 = ed.encode(T8)
m = grind('motcua edge vector: small-order key (order 8)', lambda msg: h_of(R, t8, msg) % 8 == 0)
add('small_order_key_order8', 'A has order 8 and h is a multiple of 8', t8, m, R + r.to_bytes(32, 'little'))

# 5. R is the identity: S = h*a makes [S]B - [h]A the identity, whose encoding is R.
m = b'motcua edge vector: small-order R'
h = h_of(ident, A_BYTES, m)
add('small_order_r', 'R is the identity point (small order)', A_BYTES, m, ident + (h * a % ed.L).to_bytes(32, 'little'))

# 6-7. A mixed-order key A + T8 (not small order, canonical): the
# cofactorless equation holds exactly when 8 divides h.
mixed = ed.encode(ed.add(A, T8))
rm = ed.sha512_mod_l(b'r for mixed-order key')
Rm = ed.encode(ed.mul(rm, ed.B))
for name, want, note in (
        ('mixed_order_key_h_multiple_of_8', lambda msg: h_of(Rm, mixed, msg) % 8 == 0,
         'A = aB + T (T of order 8) and 8 divides h: the cofactorless equation holds'),
        ('mixed_order_key_h_not_multiple_of_8', lambda msg: h_of(Rm, mixed, msg) % 8 != 0,
         'A = aB + T (T of order 8) and 8 does not divide h: only a cofactored verifier accepts')):
    m = grind('motcua edge vector: mixed-order key', want)
    hm = h_of(Rm, mixed, m)
    add(name, note, mixed, m, Rm + ((rm + hm * a) % ed.L).to_bytes(32, 'little'))

# 8. A non-canonical encoding of the public key: y = p + 1 (the identity again).
noncanon = (ed.p + 1).to_bytes(32, 'little')
m = b'motcua edge vector: non-canonical key'
add('non_canonical_key', 'A encoded with y = p + 1 (not below p)', noncanon, m, R + r.to_bytes(32, 'little'))

out = {
    'about': 'Ed25519 edge cases of the signature validity rule (docs/journal-format.md, "Signature validity"). '
             'Each signature is over signing_prefix + message (UTF-8). valid: the verdict of the rule motcua '
             'applies (libsodium crypto_sign_verify_detached); lax_valid: what a permissive verifier (no checks '
             'of S, small order or canonical encodings) would say. Written by make_ed25519_edge.py; checked by '
             'check_vectors.py (pure Python) and tests/unit/vectors_test.cpp (libsodium).',
    'signing_prefix': PREFIX.decode(),
    'vectors': vectors,
}
with open(os.path.join(HERE, 'ed25519-edge.json'), 'w', encoding='utf-8') as f:
    json.dump(out, f, indent=2, ensure_ascii=False)
    f.write('\n')
print('wrote', len(vectors), 'vectors')
