"""Ed25519 in pure Python (RFC 8032, section 5.1), written from the RFC and
docs/journal-format.md ("Signature validity"), independent of libsodium: used by
check_vectors.py to check the vectors, and (make_ed25519_edge) to write
ed25519-edge.json. Slow, clear, for test vectors only; never for secrets.

verify_strict() is the rule motcua applies (libsodium's
crypto_sign_verify_detached): S < L; R and A not of small order (any
encoding of a point of order 1, 2, 4 or 8, the sign bit ignored); A encoded
canonically (y < p); A on the curve; and the cofactorless equation: the
encoding of [S]B - [h]A equals the 32 bytes of R exactly.
verify_lax() is what a permissive verifier accepts (no S, small-order or
canonical checks; y taken mod p): the edge vectors are those where the two differ.
"""
import hashlib

p = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
d = (-121665 * pow(121666, p - 2, p)) % p
SQRT_M1 = pow(2, (p - 1) // 4, p)
IDENTITY = (0, 1, 1, 0)


def inv(x):
    return pow(x, p - 2, p)


def add(P, Q):
    X1, Y1, Z1, T1 = P
    X2, Y2, Z2, T2 = Q
    A = (Y1 - X1) * (Y2 - X2) % p
    B = (Y1 + X1) * (Y2 + X2) % p
    C = T1 * 2 * d * T2 % p
    D = Z1 * 2 * Z2 % p
    E, F, G, H = B - A, D - C, D + C, B + A
    return (E * F % p, G * H % p, F * G % p, E * H % p)


def neg(P):
    X, Y, Z, T = P
    return ((-X) % p, Y, Z, (-T) % p)


def mul(s, P):
    Q = IDENTITY
    while s > 0:
        if s & 1:
            Q = add(Q, P)
        P = add(P, P)
        s >>= 1
    return Q


def equal(P, Q):
    return (P[0] * Q[2] - Q[0] * P[2]) % p == 0 and (P[1] * Q[2] - Q[1] * P[2]) % p == 0


def recover_x(y, sign):
    x2 = (y * y - 1) * inv(d * y * y + 1) % p
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (p + 3) // 8, p)
    if (x * x - x2) % p != 0:
        x = x * SQRT_M1 % p
    if (x * x - x2) % p != 0:
        return None
    if (x & 1) != sign:
        x = p - x
    return x


def point(x, y):
    return (x % p, y % p, 1, x * y % p)


def encode(P):
    zi = inv(P[2])
    x, y = P[0] * zi % p, P[1] * zi % p
    return (y | ((x & 1) << 255)).to_bytes(32, 'little')


def decode(s, canonical=True):
    """The point of a 32-byte encoding, or None. canonical=False takes y mod p."""
    y = int.from_bytes(s, 'little')
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= p:
        if canonical:
            return None
        y -= p
    x = recover_x(y, sign)
    return None if x is None else point(x, y)


B = point(recover_x(4 * inv(5) % p, 0), 4 * inv(5) % p)


def torsion_ys():
    """The y of every point of order 1, 2, 4 or 8, found from the curve itself:
    [L]Q of a curve point Q is its torsion part."""
    ys = set()
    y = 2
    while len(ys) < 5:
        x = recover_x(y, 0)
        if x is not None:
            T = mul(L, point(x, y))
            for k in range(8):
                Pk = mul(k, T)
                zi = inv(Pk[2])
                ys.add(Pk[1] * zi % p)
        y += 1
    return ys


SMALL_ORDER_YS = torsion_ys()  # {1, p-1, 0, and the two y of the points of order 8}


def small_order_encoding(s):
    """True for any encoding whose y (mod p, sign bit ignored) is the y of a
    point of small order: libsodium refuses those for R and for A."""
    y = int.from_bytes(s, 'little') & ((1 << 255) - 1)
    return (y % p) in SMALL_ORDER_YS


def canonical_encoding(s):
    return (int.from_bytes(s, 'little') & ((1 << 255) - 1)) < p


def sha512_mod_l(*parts):
    return int.from_bytes(hashlib.sha512(b''.join(parts)).digest(), 'little') % L


def expand(seed):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], 'little')
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def public_key(seed):
    return encode(mul(expand(seed)[0], B))


def sign(seed, msg):
    a, prefix = expand(seed)
    A = encode(mul(a, B))
    r = sha512_mod_l(prefix, msg)
    R = encode(mul(r, B))
    h = sha512_mod_l(R, A, msg)
    return R + ((r + h * a) % L).to_bytes(32, 'little')


def cofactorless_holds(A_point, msg, sig, pk_bytes):
    S = int.from_bytes(sig[32:], 'little')
    h = sha512_mod_l(sig[:32], pk_bytes, msg)
    return encode(add(mul(S, B), neg(mul(h, A_point)))) == sig[:32]


def verify_strict(pk, msg, sig):
    if len(pk) != 32 or len(sig) != 64:
        return False
    if int.from_bytes(sig[32:], 'little') >= L:
        return False
    if small_order_encoding(sig[:32]):
        return False
    if not canonical_encoding(pk) or small_order_encoding(pk):
        return False
    A = decode(pk)
    if A is None:
        return False
    return cofactorless_holds(A, msg, sig, pk)


def verify_lax(pk, msg, sig):
    if len(pk) != 32 or len(sig) != 64:
        return False
    A = decode(pk, canonical=False)
    if A is None:
        return False
    return cofactorless_holds(A, msg, sig, pk)
