// Backups of a node's data directory: one archive file (a POSIX pax tar with
// a manifest of sizes and BLAKE2b-256 hashes first), written online while the
// daemon runs; checked; restored into an empty data directory.
// Format: docs/backup-format.md; decisions: docs/design/0092-0094.
#pragma once
#include <cstdint>
#include <string>

#include "motcua/env.hpp"
#include "motcua/node/journal.hpp"
#include "motcua/result.hpp"

namespace motcua::sync::backup {

constexpr const char* kFormat = "motcua-backup";
constexpr int kFormatVersion = 1;
constexpr const char* kManifestPath = "manifest.json";

// What an archive holds (from its manifest, checked).
struct Summary {
  std::string file;
  std::string node_name;
  std::string role;        // "point" | "hub"
  std::string public_key;  // hex
  std::string created_at;  // ISO 8601 UTC
  int schema_version = 0;
  int64_t dossiers = 0;
  int64_t entries = 0;
  int64_t attachments = 0;
  int64_t bytes = 0;  // size of the archive file
};

struct CreateOptions {
  std::string data_dir;
  std::string file;         // the archive to write; must not exist
  Clock* clock = nullptr;   // created time; default: the system clock
};

// Online backup: the database through VACUUM INTO (one read snapshot, taken
// through its own read-only connection, beside a running daemon), the
// attachment files that snapshot references and node.key (as it is on disk),
// into FILE.tmp-XXXXXX next to FILE, fsynced, then renamed to FILE (0600)
// without ever replacing an existing FILE. Errors: not_initialised,
// backup_target_exists, io_error (naming the path), storage errors.
Result<Summary> create(const CreateOptions& opt);

struct VerifyOptions {
  // Projector the journal's projection is checked against; empty: the
  // dossier projector of the product.
  node::SubjectProjector projector;
};

// Reads the whole archive and checks it (docs/backup-format.md, "Checks"):
// manifest, every file's size and hash, the database (a temporary copy next
// to FILE, else under $TMPDIR) opens read-only, passes integrity_check and
// its journal verifies, every attachment it references is in the archive.
// Error code backup_invalid with a message naming the file and the reason.
Result<Summary> verify(const std::string& file, const VerifyOptions& opt = {});

struct RestoreOptions {
  std::string file;
  std::string data_dir;        // must not exist or be empty
  Random* random = nullptr;    // the new epoch; default: system random
  node::SubjectProjector projector;  // as VerifyOptions
};

struct RestoreResult {
  Summary summary;
  std::string data_dir;
  bool enrolled = false;   // a point that has a hub
  bool restoring = false;  // node meta restoring = 1 (intake refused until it synced)
  std::string epoch;       // the new epoch (hub or un-enrolled point), else empty
};

// Checks the archive (as verify), extracts it into a temporary sibling of
// DATA_DIR, marks the database (an enrolled point: restoring; otherwise a new
// epoch), fsyncs, and renames it into place. On any error nothing is left
// behind (DATA_DIR as it was). Errors: data_dir_not_empty, backup_invalid,
// io_error.
Result<RestoreResult> restore(const RestoreOptions& opt);

}  // namespace motcua::sync::backup
