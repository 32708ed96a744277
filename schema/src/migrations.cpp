// Numbered schema migrations. Append only: a released migration never changes.
#include <vector>

namespace motcua::schema {

const std::vector<const char*>& migrations() {
  static const std::vector<const char*> m = {
      // 1: node identity, settings, the journal and its generic projection.
      R"SQL(
CREATE TABLE node_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE config (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
-- The journal is the truth: every signed entry, own and foreign.
CREATE TABLE journal (
  pos         INTEGER PRIMARY KEY,          -- local arrival order (hub cursor)
  id          BLOB NOT NULL UNIQUE,         -- BLAKE2b-256 of canonical bytes
  author      BLOB NOT NULL,                -- Ed25519 public key
  seq         INTEGER NOT NULL,             -- per-author, contiguous from 1
  prev        BLOB NOT NULL,                -- id of the author's previous entry (32 zero bytes for seq 1)
  hlc_ms      INTEGER NOT NULL,
  hlc_c       INTEGER NOT NULL,
  type        TEXT NOT NULL,
  subject     TEXT NOT NULL,
  canonical   BLOB NOT NULL,                -- the exact signed bytes
  sig         BLOB NOT NULL,
  received_ms INTEGER NOT NULL,
  UNIQUE (author, seq)
);
CREATE INDEX journal_subject ON journal (subject, hlc_ms, hlc_c);
-- Per-author chain heads (high-water marks).
CREATE TABLE authors (
  author   BLOB PRIMARY KEY,
  head_seq INTEGER NOT NULL,
  head_id  BLOB NOT NULL
);
-- Projection: current state of each subject, rebuilt from the journal at will.
CREATE TABLE projection (
  subject    TEXT PRIMARY KEY,
  state      TEXT NOT NULL,                 -- canonical JSON
  state_hash BLOB NOT NULL
);
)SQL",
      // 2: local user accounts, login sessions, failed-login throttling, attachment blobs.
      R"SQL(
CREATE TABLE users (
  username      TEXT PRIMARY KEY,
  role          TEXT NOT NULL CHECK (role IN ('clerk', 'postal', 'officer', 'admin')),
  password_hash TEXT NOT NULL,                -- Argon2id "$argon2id$..." string
  created_ms    INTEGER NOT NULL
);
-- Bearer tokens are never stored: only their BLAKE2b-256.
CREATE TABLE sessions (
  token_hash BLOB PRIMARY KEY,
  username   TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_ms);
-- Failed logins per typed username (which may not exist), to slow guessing down.
CREATE TABLE login_failures (
  username TEXT NOT NULL,
  at_ms    INTEGER NOT NULL
);
CREATE INDEX login_failures_user ON login_failures (username, at_ms);
-- Content-addressed attachments; the bytes live in <data_dir>/blobs/ab/cdef...
CREATE TABLE blobs (
  id         TEXT PRIMARY KEY,                -- lowercase hex BLAKE2b-256 of the bytes
  size       INTEGER NOT NULL,
  media_type TEXT NOT NULL
);
)SQL",
  };
  return m;
}

}  // namespace motcua::schema
