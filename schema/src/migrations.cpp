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
      // 3: dossier domain: procedure catalogue, holiday calendar, blocks of
      // dossier numbers, and a list index of dossiers kept by triggers on the
      // projection (so it is derived in the same transaction and rebuilt with it).
      R"SQL(
CREATE TABLE procedures (
  key             TEXT PRIMARY KEY,       -- national code, or "local.<hash of name>" when it has none
  position        INTEGER NOT NULL,       -- order in the imported catalogue
  code            TEXT,                   -- national code as published (NULL when unknown)
  name            TEXT NOT NULL,
  field           TEXT NOT NULL,
  level           TEXT,                   -- "toàn trình" | "một phần" | NULL
  processing_days INTEGER,                -- working days, 0 = same day, NULL = not set
  item            TEXT NOT NULL,          -- the catalogue item as imported (canonical JSON)
  name_key        TEXT NOT NULL,          -- fold_for_search(name)
  field_key       TEXT NOT NULL,          -- fold_for_search(field)
  level_key       TEXT NOT NULL           -- fold_for_search(level) or ''
);
CREATE TABLE holidays (
  date TEXT PRIMARY KEY,                  -- YYYY-MM-DD, Asia/Ho_Chi_Minh calendar day
  name TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT 'holiday' CHECK (kind IN ('holiday', 'working_day'))
);
-- Blocks of the daily sequence this node may mint dossier numbers from.
-- Used numbers are not stored: they are the codes already in the journal.
CREATE TABLE code_blocks (
  day   TEXT NOT NULL,                    -- YYMMDD, or '*' for every day
  first INTEGER NOT NULL CHECK (first BETWEEN 1 AND 9999),
  last  INTEGER NOT NULL CHECK (last BETWEEN first AND 9999),
  PRIMARY KEY (day, first)
);
-- One row per dossier projection, for listing and conflict review.
CREATE TABLE dossier_index (
  code           TEXT PRIMARY KEY,
  status         INTEGER NOT NULL,
  cancelled      INTEGER NOT NULL,
  received_at    TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  search_key     TEXT NOT NULL,
  conflicts      INTEGER NOT NULL,
  open_conflicts INTEGER NOT NULL
);
CREATE INDEX dossier_index_received ON dossier_index (received_at, code);
CREATE INDEX dossier_index_open_conflicts ON dossier_index (open_conflicts) WHERE open_conflicts > 0;
CREATE TRIGGER dossier_index_put AFTER INSERT ON projection
WHEN json_extract(NEW.state, '$.kind') = 'dossier'
BEGIN
  INSERT OR REPLACE INTO dossier_index
    (code, status, cancelled, received_at, updated_at, search_key, conflicts, open_conflicts)
  VALUES (NEW.subject,
          json_extract(NEW.state, '$.status'),
          json_extract(NEW.state, '$.cancelled') IS NOT NULL,
          ifnull(json_extract(NEW.state, '$.received_at'), ''),
          ifnull(json_extract(NEW.state, '$.updated_at'), ''),
          ifnull(json_extract(NEW.state, '$.search_key'), ''),
          json_array_length(NEW.state, '$.conflicts'),
          ifnull(json_extract(NEW.state, '$.open_conflicts'), 0));
END;
CREATE TRIGGER dossier_index_drop AFTER DELETE ON projection
BEGIN
  DELETE FROM dossier_index WHERE code = OLD.subject;
END;
)SQL",
      // 4: sync (docs/sync-protocol.md): both ends keep a sync log, receipts,
      // alerts and a small state map; the hub keeps its points, enrolment
      // codes, nonces, sessions, leases and a subject -> scope index; a point
      // records the seq ranges it lacks of other authors' chains.
      R"SQL(
CREATE TABLE sync_state (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE sync_log (
  id           TEXT PRIMARY KEY,
  point        TEXT NOT NULL,
  started_ms   INTEGER NOT NULL,
  ended_ms     INTEGER NOT NULL DEFAULT 0,
  entries_up   INTEGER NOT NULL DEFAULT 0,
  entries_down INTEGER NOT NULL DEFAULT 0,
  bytes_up     INTEGER NOT NULL DEFAULT 0,
  bytes_down   INTEGER NOT NULL DEFAULT 0,
  receipts     INTEGER NOT NULL DEFAULT 0,
  result       TEXT NOT NULL,
  error        TEXT NOT NULL DEFAULT '',
  skew_ms      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sync_log_started ON sync_log (started_ms);
CREATE TABLE sync_receipts (
  n           INTEGER PRIMARY KEY,
  point       TEXT NOT NULL,
  author      BLOB NOT NULL,
  upto_seq    INTEGER NOT NULL,
  entry       BLOB NOT NULL,
  hub_time_ms INTEGER NOT NULL,
  body        TEXT NOT NULL,
  sig         BLOB NOT NULL
);
CREATE INDEX sync_receipts_point ON sync_receipts (point, n);
CREATE TABLE sync_alerts (
  n      INTEGER PRIMARY KEY,
  at_ms  INTEGER NOT NULL,
  point  TEXT NOT NULL,
  kind   TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE TABLE hub_points (
  name            TEXT PRIMARY KEY,
  area            TEXT NOT NULL,
  daily_capacity  INTEGER NOT NULL,
  lease_days      INTEGER NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'active', 'revoked')),
  public_key      BLOB UNIQUE,
  agency_code     TEXT NOT NULL DEFAULT '',
  created_ms      INTEGER NOT NULL,
  enrolled_ms     INTEGER NOT NULL DEFAULT 0,
  revoked_ms      INTEGER NOT NULL DEFAULT 0,
  pull_cursor     INTEGER NOT NULL DEFAULT 0,
  last_seen_ms    INTEGER NOT NULL DEFAULT 0,
  last_success_ms INTEGER NOT NULL DEFAULT 0,
  skew_ms         INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE hub_enrolment_codes (
  code_hash  BLOB PRIMARY KEY,
  point      TEXT NOT NULL REFERENCES hub_points (name),
  expires_ms INTEGER NOT NULL,
  used_ms    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE hub_nonces (
  node       BLOB NOT NULL,
  nonce      TEXT NOT NULL,
  expires_ms INTEGER NOT NULL,
  PRIMARY KEY (node, nonce)
) WITHOUT ROWID;
CREATE INDEX hub_nonces_expiry ON hub_nonces (expires_ms);
CREATE TABLE hub_sessions (
  id         TEXT PRIMARY KEY,
  node       BLOB NOT NULL,
  expires_ms INTEGER NOT NULL
);
CREATE TABLE hub_leases (
  agency    TEXT NOT NULL,
  day       TEXT NOT NULL,
  first     INTEGER NOT NULL CHECK (first BETWEEN 1 AND 9999),
  last      INTEGER NOT NULL CHECK (last BETWEEN first AND 9999),
  point     TEXT NOT NULL,
  PRIMARY KEY (agency, day, first)
);
CREATE INDEX hub_leases_point ON hub_leases (point, day);
CREATE TABLE hub_subject_scope (
  subject      TEXT PRIMARY KEY,
  area         TEXT NOT NULL,
  return_point TEXT NOT NULL,
  origin_point TEXT NOT NULL,
  first_pos    INTEGER NOT NULL,              -- journal pos of the subject's first entry
  changed_pos  INTEGER NOT NULL               -- journal pos when the scope last changed
);
CREATE INDEX hub_subject_scope_area ON hub_subject_scope (area, changed_pos);
CREATE INDEX hub_subject_scope_return ON hub_subject_scope (return_point, changed_pos);
CREATE INDEX hub_subject_scope_origin ON hub_subject_scope (origin_point, changed_pos);
CREATE TABLE journal_gaps (
  author    BLOB NOT NULL,
  first_seq INTEGER NOT NULL,
  last_seq  INTEGER NOT NULL,
  PRIMARY KEY (author, first_seq)
);
)SQL",
      // 5: attachments over sync (docs/sync-protocol.md section 12): which
      // subjects reference which attachment ids (both roles, derived from the
      // journal up to sync_state.blob_refs_pos), and on a point the ids the
      // hub has confirmed it holds.
      R"SQL(
CREATE TABLE blob_refs (
  blob    TEXT NOT NULL,                  -- attachment id, 64 lowercase hex
  subject TEXT NOT NULL,                  -- subject of an entry whose body references it
  PRIMARY KEY (blob, subject)
) WITHOUT ROWID;
CREATE TABLE blob_confirmed (
  blob  TEXT PRIMARY KEY,                 -- the hub holds it (and so does this point)
  at_ms INTEGER NOT NULL
);
)SQL",
      // 6: honest sync bookkeeping (docs/operations.md, "Metrics" and
      // "Retention"): cumulative counters kept in the same transaction as the
      // rows they count, so pruning old rows never lowers a /metrics counter
      // (seeded here from the rows already kept); alerts that repeat (e.g.
      // refused enrolments from one address) are one row with a count; an
      // index to find the latest receipt per point and author; what the hub
      // has sent a point (for its lag), apart from what the point reported.
      R"SQL(
CREATE TABLE sync_counters (
  name  TEXT NOT NULL,                    -- e.g. 'bytes', 'entries', 'sessions', 'alerts', 'receipts'
  label TEXT NOT NULL,                    -- e.g. 'up', 'down', a session result, an alert kind, or ''
  value INTEGER NOT NULL,
  PRIMARY KEY (name, label)
) WITHOUT ROWID;
ALTER TABLE sync_alerts ADD COLUMN source TEXT NOT NULL DEFAULT '';   -- client address, when known
ALTER TABLE sync_alerts ADD COLUMN count INTEGER NOT NULL DEFAULT 1;  -- occurrences folded into this row
ALTER TABLE sync_alerts ADD COLUMN last_ms INTEGER NOT NULL DEFAULT 0;
UPDATE sync_alerts SET last_ms = at_ms;
CREATE INDEX sync_alerts_last ON sync_alerts (last_ms);
CREATE INDEX sync_alerts_fold ON sync_alerts (kind, source, point, at_ms);
CREATE INDEX sync_receipts_latest ON sync_receipts (point, author, n);
CREATE INDEX sync_log_running ON sync_log (result) WHERE result = 'running';
ALTER TABLE hub_points ADD COLUMN sent_cursor INTEGER NOT NULL DEFAULT 0;  -- end of the last complete pull answered
UPDATE hub_points SET sent_cursor = pull_cursor;
INSERT INTO sync_counters (name, label, value)
  SELECT 'bytes', 'up', ifnull(sum(bytes_up), 0) FROM sync_log
  UNION ALL SELECT 'bytes', 'down', ifnull(sum(bytes_down), 0) FROM sync_log
  UNION ALL SELECT 'entries', 'up', ifnull(sum(entries_up), 0) FROM sync_log
  UNION ALL SELECT 'entries', 'down', ifnull(sum(entries_down), 0) FROM sync_log
  UNION ALL SELECT 'receipts', '', count(*) FROM sync_receipts;
INSERT INTO sync_counters (name, label, value)
  SELECT 'sessions', result, count(*) FROM sync_log WHERE result <> 'running' GROUP BY result;
INSERT INTO sync_counters (name, label, value)
  SELECT 'alerts', kind, count(*) FROM sync_alerts GROUP BY kind;
)SQL",
      // 7: hub administration over HTTP (docs/design/0060-hub-admin-over-http.md):
      // the name people use for a point's place (its receipts, the admin's
      // list), given when the point is registered.
      R"SQL(
ALTER TABLE hub_points ADD COLUMN place_name TEXT NOT NULL DEFAULT '';
)SQL",
      // 8: sign-in for browsers (docs/design/0050-0051): a user's full name
      // and whether the account is disabled; when a session was last used
      // (idle timeout); login throttling per (username, client address) with
      // growing delays. login_failures (migration 2) now holds the failures
      // of a username from all addresses within the last hour (a generous cap
      // against guessing spread over many addresses).
      R"SQL(
ALTER TABLE users ADD COLUMN full_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN last_used_ms INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET last_used_ms = created_ms;
CREATE INDEX sessions_user ON sessions (username);
CREATE TABLE login_throttle (
  username TEXT NOT NULL,                  -- as typed (may not exist)
  address  TEXT NOT NULL,                  -- the client's address as the daemon saw it
  failures INTEGER NOT NULL,               -- failed (or still running) attempts since the last success
  last_ms  INTEGER NOT NULL,               -- when the latest of them was made
  PRIMARY KEY (username, address)
) WITHOUT ROWID;
CREATE INDEX login_throttle_last ON login_throttle (last_ms);
)SQL",
      // 9: the dossier list's
      // search by word. Each word of dossier_index.search_key (code, applicant
      // name, CCCD, phone, folded: lowercase, no marks, no punctuation) is a
      // row, kept by triggers on dossier_index, so a search is an index range
      // per typed word (prefix) instead of a LIKE over every dossier.
      R"SQL(
CREATE TABLE dossier_words (
  word TEXT NOT NULL,
  code TEXT NOT NULL,
  PRIMARY KEY (word, code)
) WITHOUT ROWID;
CREATE INDEX dossier_words_code ON dossier_words (code);
CREATE TRIGGER dossier_words_put AFTER INSERT ON dossier_index
BEGIN
  DELETE FROM dossier_words WHERE code = NEW.code;
  INSERT OR IGNORE INTO dossier_words (word, code)
    SELECT value, NEW.code FROM json_each(
      CASE WHEN json_valid('["' || replace(NEW.search_key, ' ', '","') || '"]')
           THEN '["' || replace(NEW.search_key, ' ', '","') || '"]' ELSE '[]' END)
    WHERE value <> '';
END;
CREATE TRIGGER dossier_words_drop AFTER DELETE ON dossier_index
BEGIN
  DELETE FROM dossier_words WHERE code = OLD.code;
END;
INSERT OR IGNORE INTO dossier_words (word, code)
  SELECT j.value, d.code FROM dossier_index d, json_each(
      CASE WHEN json_valid('["' || replace(d.search_key, ' ', '","') || '"]')
           THEN '["' || replace(d.search_key, ' ', '","') || '"]' ELSE '[]' END) j
  WHERE j.value <> '';
CREATE INDEX dossier_index_status ON dossier_index (cancelled, status, received_at, code);
)SQL",
      // msg (sync protocol v2, docs/design/0077-0078): per-session request
      // counters replace the nonce table; enrolment codes are found by their
      // public id and checked with a MAC key derived from the code (never
      // sent); the key that used a code, so the same key may enrol again.
      R"SQL(
DROP TABLE IF EXISTS hub_nonces;
ALTER TABLE hub_sessions ADD COLUMN counter INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hub_enrolment_codes ADD COLUMN code_id TEXT NOT NULL DEFAULT '';
ALTER TABLE hub_enrolment_codes ADD COLUMN enrol_key BLOB;
ALTER TABLE hub_enrolment_codes ADD COLUMN used_by BLOB;
CREATE INDEX hub_enrolment_codes_id ON hub_enrolment_codes (code_id);
)SQL",
      // chain (issue 10, sync protocol v2): the epoch each point's database
      // last reported (a restored backup is a new epoch), every epoch a point
      // ever reported (a retired one never becomes current again, so a
      // replayed old hello cannot rewind the point's cursor), and the signed
      // evidence of forked chains (docs/sync-protocol.md, "Forks").
      R"SQL(
ALTER TABLE hub_points ADD COLUMN epoch TEXT NOT NULL DEFAULT '';
-- A fork quarantines the point (status "quarantined" as HubStore shows it):
-- a column, since status has a CHECK that would need the table rebuilt.
ALTER TABLE hub_points ADD COLUMN quarantined_ms INTEGER NOT NULL DEFAULT 0;
CREATE TABLE hub_point_epochs (
  point    TEXT NOT NULL,
  epoch    TEXT NOT NULL,
  first_ms INTEGER NOT NULL,               -- hub time of the first hello with it
  PRIMARY KEY (point, epoch)
) WITHOUT ROWID;
CREATE TABLE fork_evidence (
  n               INTEGER PRIMARY KEY,
  author          BLOB NOT NULL,           -- the key that signed both
  seq             INTEGER NOT NULL,        -- seq of the other entry
  reporter        TEXT NOT NULL,           -- the point whose request showed the fork
  at_ms           INTEGER NOT NULL,
  held_seq        INTEGER NOT NULL,        -- seq of the entry the hub holds (seq, or seq - 1 for a prev mismatch)
  held_id         BLOB NOT NULL,
  other_id        BLOB NOT NULL,           -- the entry the hub does not hold
  other_canonical BLOB,                    -- its signed bytes (NULL until the point sent them)
  other_sig       BLOB,
  UNIQUE (author, seq, other_id)
);
)SQL",
      // 12 (slice "core" of sync v2): quarantine (docs/sync-protocol.md,
      // "Quarantine"; docs/design/0071). An entry that may not be admitted is
      // stored in the journal (its author's chain goes through it) and gets a
      // row here; held and rejected entries are left out of the projection.
      // visible_pos: for a released entry, the journal position at which the
      // positional indexes (hub scope, pulls, blob_refs) see it (its
      // decision's position); 0 while not released.
      R"SQL(
CREATE TABLE quarantine (
  id          BLOB PRIMARY KEY,             -- the held entry (journal.id)
  author      BLOB NOT NULL,
  seq         INTEGER NOT NULL,
  subject     TEXT NOT NULL,
  type        TEXT NOT NULL,
  code        TEXT NOT NULL,                -- e.g. unknown_parent, not_in_scope
  reason      TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('held', 'released', 'rejected')),
  at_ms       INTEGER NOT NULL,
  decided_ms  INTEGER NOT NULL DEFAULT 0,
  decided_by  TEXT NOT NULL DEFAULT '',     -- hex id of the decision entry
  visible_pos INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX quarantine_state ON quarantine (state, at_ms);
CREATE INDEX quarantine_visible ON quarantine (visible_pos) WHERE visible_pos > 0;
CREATE INDEX quarantine_decided ON quarantine (decided_by) WHERE decided_by <> '';
)SQL",
      // admit (issue 10, docs/design/0073-admission-rules.md): the event
      // types a point may sign (comma list, set at point add --acts), and
      // for a revoked point its last admitted entry: nothing after it is
      // admitted from any pusher or bundle.
      R"SQL(
ALTER TABLE hub_points ADD COLUMN acts TEXT NOT NULL DEFAULT '';
ALTER TABLE hub_points ADD COLUMN revoked_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hub_points ADD COLUMN revoked_id BLOB;
)SQL",
      // succession (issue 11, docs/sync-protocol.md 15.3, docs/design/0095):
      // a code from `point add --replace NAME` names the key it replaces; the
      // blocks leased before a succession are retired (kept, never given out
      // again, never to the new key); every succession, signed by the hub.
      R"SQL(
ALTER TABLE hub_enrolment_codes ADD COLUMN replaces BLOB;
ALTER TABLE hub_leases ADD COLUMN retired_ms INTEGER NOT NULL DEFAULT 0;
CREATE TABLE hub_successions (
  n            INTEGER PRIMARY KEY,
  point        TEXT NOT NULL,
  old_key      BLOB NOT NULL UNIQUE,
  new_key      BLOB NOT NULL,
  revoked_seq  INTEGER NOT NULL,          -- the old key's last admitted entry
  revoked_id   BLOB NOT NULL,
  at_ms        INTEGER NOT NULL,
  body         TEXT NOT NULL,             -- canonical JSON of the record
  sig          BLOB NOT NULL              -- the hub's, domain motcua/v2/succession
);
)SQL",
      // 15: the hub's scope feed (docs/design/0110-scope-feed.md): the
      // journal positions of every scope key ('a:<area>', 'p:<point>'), kept
      // with hub_subject_scope up to sync_state.scope_indexed_pos, so a pull
      // reads only what is in the point's scope instead of walking every
      // position after its cursor. Filled here from what is indexed already.
      R"SQL(
CREATE TABLE hub_feed (
  scope TEXT NOT NULL,
  pos   INTEGER NOT NULL,
  PRIMARY KEY (scope, pos)
) WITHOUT ROWID;
INSERT OR IGNORE INTO hub_feed (scope, pos)
  SELECT 'a:' || s.area, j.pos FROM hub_subject_scope s JOIN journal j ON j.subject = s.subject
  WHERE s.area <> '' AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.id = j.id)
    AND j.pos <= ifnull((SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = 'scope_indexed_pos'), 0)
  UNION ALL
  SELECT 'p:' || s.return_point, j.pos FROM hub_subject_scope s JOIN journal j ON j.subject = s.subject
  WHERE s.return_point <> '' AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.id = j.id)
    AND j.pos <= ifnull((SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = 'scope_indexed_pos'), 0)
  UNION ALL
  SELECT 'p:' || s.origin_point, j.pos FROM hub_subject_scope s JOIN journal j ON j.subject = s.subject
  WHERE s.origin_point <> '' AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.id = j.id)
    AND j.pos <= ifnull((SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = 'scope_indexed_pos'), 0);
)SQL",
      // 16: the clock's high-water mark at start (docs/design/0115): the
      // largest admitted HLC within the bound is a seek down this index,
      // not a scan and sort of the whole journal.
      R"SQL(
CREATE INDEX journal_hlc ON journal (hlc_ms, hlc_c);
)SQL",
      // 17: generation counters of the reference data a hub sends in every
      // hello (docs/design/0115): bumped by these triggers in the same
      // transaction as any change to what the reference hash covers
      // (catalogue, holidays, the hub's name and place, its active points)
      // and to the registry (points' keys, status, acts; successions), so a
      // hub process caches the data and its hash while the counters stand,
      // and sees a change made by another process on the next hello.
      R"SQL(
INSERT OR IGNORE INTO sync_counters (name, label, value) VALUES ('generation', 'reference', 1), ('generation', 'registry', 1);
CREATE TRIGGER gen_procedures_ins AFTER INSERT ON procedures BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'generation' AND label = 'reference'; END;
CREATE TRIGGER gen_procedures_upd AFTER UPDATE ON procedures BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'generation' AND label = 'reference'; END;
CREATE TRIGGER gen_procedures_del AFTER DELETE ON procedures BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'generation' AND label = 'reference'; END;
CREATE TRIGGER gen_holidays_ins AFTER INSERT ON holidays BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'generation' AND label = 'reference'; END;
CREATE TRIGGER gen_holidays_upd AFTER UPDATE ON holidays BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'generation' AND label = 'reference'; END;
CREATE TRIGGER gen_holidays_del AFTER DELETE ON holidays BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'generation' AND label = 'reference'; END;
CREATE TRIGGER gen_config_ins AFTER INSERT ON config WHEN NEW.key = 'agency_name' BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'generation' AND label = 'reference'; END;
CREATE TRIGGER gen_config_upd AFTER UPDATE ON config WHEN NEW.key = 'agency_name' OR OLD.key = 'agency_name' BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'generation' AND label = 'reference'; END;
CREATE TRIGGER gen_config_del AFTER DELETE ON config WHEN OLD.key = 'agency_name' BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'generation' AND label = 'reference'; END;
CREATE TRIGGER gen_meta_ins AFTER INSERT ON node_meta WHEN NEW.key = 'name' BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'generation' AND label = 'reference'; END;
CREATE TRIGGER gen_meta_upd AFTER UPDATE ON node_meta WHEN NEW.key = 'name' OR OLD.key = 'name' BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'generation' AND label = 'reference'; END;
CREATE TRIGGER gen_points_ins AFTER INSERT ON hub_points BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'generation' AND label IN ('reference', 'registry'); END;
CREATE TRIGGER gen_points_upd AFTER UPDATE OF name, area, status, public_key, agency_code, acts, revoked_seq,
  revoked_id, place_name ON hub_points BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'generation' AND label IN ('reference', 'registry'); END;
CREATE TRIGGER gen_points_del AFTER DELETE ON hub_points BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'generation' AND label IN ('reference', 'registry'); END;
CREATE TRIGGER gen_successions_ins AFTER INSERT ON hub_successions BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'generation' AND label = 'registry'; END;
CREATE TRIGGER gen_successions_upd AFTER UPDATE ON hub_successions BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'generation' AND label = 'registry'; END;
CREATE TRIGGER gen_successions_del AFTER DELETE ON hub_successions BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'generation' AND label = 'registry'; END;
)SQL",
      // 18: totals that /metrics and the sync status read on every scrape
      // (docs/design/0115), kept by triggers in the same transaction as the
      // rows they total instead of summing the tables each time: the bytes
      // of stored attachments, and the attachments referenced here that the
      // hub has not confirmed (a point's "blobs waiting"). And an index for
      // the retention of receipts (at start and hourly), which scanned them all.
      R"SQL(
CREATE INDEX sync_receipts_time ON sync_receipts (hub_time_ms);
INSERT OR REPLACE INTO sync_counters (name, label, value) VALUES
  ('total', 'blob_bytes', (SELECT ifnull(sum(size), 0) FROM blobs)),
  ('total', 'blobs_waiting', (SELECT count(DISTINCT r.blob) FROM blob_refs r
                              WHERE NOT EXISTS (SELECT 1 FROM blob_confirmed c WHERE c.blob = r.blob)));
CREATE TRIGGER total_blobs_ins AFTER INSERT ON blobs BEGIN
  UPDATE sync_counters SET value = value + NEW.size WHERE name = 'total' AND label = 'blob_bytes'; END;
CREATE TRIGGER total_blobs_upd AFTER UPDATE OF size ON blobs BEGIN
  UPDATE sync_counters SET value = value + NEW.size - OLD.size WHERE name = 'total' AND label = 'blob_bytes'; END;
CREATE TRIGGER total_blobs_del AFTER DELETE ON blobs BEGIN
  UPDATE sync_counters SET value = value - OLD.size WHERE name = 'total' AND label = 'blob_bytes'; END;
CREATE TRIGGER total_refs_ins AFTER INSERT ON blob_refs
  WHEN NOT EXISTS (SELECT 1 FROM blob_confirmed c WHERE c.blob = NEW.blob)
   AND NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.blob = NEW.blob AND r.subject <> NEW.subject) BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'total' AND label = 'blobs_waiting'; END;
CREATE TRIGGER total_refs_del AFTER DELETE ON blob_refs
  WHEN NOT EXISTS (SELECT 1 FROM blob_confirmed c WHERE c.blob = OLD.blob)
   AND NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.blob = OLD.blob) BEGIN
  UPDATE sync_counters SET value = value - 1 WHERE name = 'total' AND label = 'blobs_waiting'; END;
CREATE TRIGGER total_confirmed_ins AFTER INSERT ON blob_confirmed
  WHEN EXISTS (SELECT 1 FROM blob_refs r WHERE r.blob = NEW.blob) BEGIN
  UPDATE sync_counters SET value = value - 1 WHERE name = 'total' AND label = 'blobs_waiting'; END;
CREATE TRIGGER total_confirmed_del AFTER DELETE ON blob_confirmed
  WHEN EXISTS (SELECT 1 FROM blob_refs r WHERE r.blob = OLD.blob) BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'total' AND label = 'blobs_waiting'; END;
)SQL",
      // 19: one point's audit view (motcua audit --point, GET
      // /api/v1/audit/sync-log?point=) read the whole sync log by time and
      // every alert (docs/design/0115); the PostgreSQL store's migration 3
      // has the same two indexes.
      R"SQL(
CREATE INDEX sync_log_point ON sync_log (point, started_ms);
CREATE INDEX sync_alerts_point ON sync_alerts (point, last_ms);
)SQL",
      // 20: an act on a dossier that does not change its search key (nearly
      // every act: only an edit of the name, CCCD or phone does) no longer
      // rewrites its search words. The projection's trigger updates the
      // dossier's index row in place (an upsert; INSERT OR REPLACE deleted and
      // inserted it, and the insert trigger wrote every word again), and the
      // words are written again only when the search key changed
      // (docs/design/0117, "The dossier's index rows").
      R"SQL(
DROP TRIGGER dossier_index_put;
CREATE TRIGGER dossier_index_put AFTER INSERT ON projection
WHEN json_extract(NEW.state, '$.kind') = 'dossier'
BEGIN
  INSERT INTO dossier_index
    (code, status, cancelled, received_at, updated_at, search_key, conflicts, open_conflicts)
  VALUES (NEW.subject,
          json_extract(NEW.state, '$.status'),
          json_extract(NEW.state, '$.cancelled') IS NOT NULL,
          ifnull(json_extract(NEW.state, '$.received_at'), ''),
          ifnull(json_extract(NEW.state, '$.updated_at'), ''),
          ifnull(json_extract(NEW.state, '$.search_key'), ''),
          json_array_length(NEW.state, '$.conflicts'),
          ifnull(json_extract(NEW.state, '$.open_conflicts'), 0))
  ON CONFLICT (code) DO UPDATE SET
    status = excluded.status, cancelled = excluded.cancelled, received_at = excluded.received_at,
    updated_at = excluded.updated_at, search_key = excluded.search_key, conflicts = excluded.conflicts,
    open_conflicts = excluded.open_conflicts;
END;
CREATE TRIGGER dossier_words_renew AFTER UPDATE OF search_key ON dossier_index
WHEN OLD.search_key IS NOT NEW.search_key
BEGIN
  DELETE FROM dossier_words WHERE code = NEW.code;
  INSERT OR IGNORE INTO dossier_words (word, code)
    SELECT value, NEW.code FROM json_each(
      CASE WHEN json_valid('["' || replace(NEW.search_key, ' ', '","') || '"]')
           THEN '["' || replace(NEW.search_key, ' ', '","') || '"]' ELSE '[]' END)
    WHERE value <> '';
END;
)SQL",
      // 21: the journal writes a projection row in place (an upsert, where
      // INSERT OR REPLACE deleted the row and inserted it again); the list
      // row follows an update as it follows an insert (docs/design/0117).
      R"SQL(
CREATE TRIGGER dossier_index_set AFTER UPDATE ON projection
WHEN json_extract(NEW.state, '$.kind') = 'dossier'
BEGIN
  INSERT INTO dossier_index
    (code, status, cancelled, received_at, updated_at, search_key, conflicts, open_conflicts)
  VALUES (NEW.subject,
          json_extract(NEW.state, '$.status'),
          json_extract(NEW.state, '$.cancelled') IS NOT NULL,
          ifnull(json_extract(NEW.state, '$.received_at'), ''),
          ifnull(json_extract(NEW.state, '$.updated_at'), ''),
          ifnull(json_extract(NEW.state, '$.search_key'), ''),
          json_array_length(NEW.state, '$.conflicts'),
          ifnull(json_extract(NEW.state, '$.open_conflicts'), 0))
  ON CONFLICT (code) DO UPDATE SET
    status = excluded.status, cancelled = excluded.cancelled, received_at = excluded.received_at,
    updated_at = excluded.updated_at, search_key = excluded.search_key, conflicts = excluded.conflicts,
    open_conflicts = excluded.open_conflicts;
END;
)SQL",
      // 22: the reference data names the hub's own place as its forms do
      // (config place_name, else agency_name): a change of either is a new
      // generation of the reference data (migration 17).
      // And a search key that repeats a word (the agency code 000.00.00.H33
      // has "00" twice; a name such as Lê Thị Lê) writes each word once.
      // Inside the projection's upsert SQLite applies the outer statement's
      // conflict policy to the triggers' INSERT OR IGNORE, so the second
      // copy of a word failed the whole write (UNIQUE constraint failed):
      // an edit of the name, CCCD or phone of such a dossier was refused,
      // and a hub projecting it refused the point's push.
      R"SQL(
DROP TRIGGER gen_config_ins;
DROP TRIGGER gen_config_upd;
DROP TRIGGER gen_config_del;
CREATE TRIGGER gen_config_ins AFTER INSERT ON config WHEN NEW.key IN ('agency_name', 'place_name') BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'generation' AND label = 'reference'; END;
CREATE TRIGGER gen_config_upd AFTER UPDATE ON config
  WHEN NEW.key IN ('agency_name', 'place_name') OR OLD.key IN ('agency_name', 'place_name') BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'generation' AND label = 'reference'; END;
CREATE TRIGGER gen_config_del AFTER DELETE ON config WHEN OLD.key IN ('agency_name', 'place_name') BEGIN
  UPDATE sync_counters SET value = value + 1 WHERE name = 'generation' AND label = 'reference'; END;
DROP TRIGGER dossier_words_put;
CREATE TRIGGER dossier_words_put AFTER INSERT ON dossier_index
BEGIN
  DELETE FROM dossier_words WHERE code = NEW.code;
  INSERT OR IGNORE INTO dossier_words (word, code)
    SELECT DISTINCT value, NEW.code FROM json_each(
      CASE WHEN json_valid('["' || replace(NEW.search_key, ' ', '","') || '"]')
           THEN '["' || replace(NEW.search_key, ' ', '","') || '"]' ELSE '[]' END)
    WHERE value <> '';
END;
DROP TRIGGER dossier_words_renew;
CREATE TRIGGER dossier_words_renew AFTER UPDATE OF search_key ON dossier_index
WHEN OLD.search_key IS NOT NEW.search_key
BEGIN
  DELETE FROM dossier_words WHERE code = NEW.code;
  INSERT OR IGNORE INTO dossier_words (word, code)
    SELECT DISTINCT value, NEW.code FROM json_each(
      CASE WHEN json_valid('["' || replace(NEW.search_key, ' ', '","') || '"]')
           THEN '["' || replace(NEW.search_key, ' ', '","') || '"]' ELSE '[]' END)
    WHERE value <> '';
END;
)SQL",
  };
  return m;
}

}  // namespace motcua::schema
