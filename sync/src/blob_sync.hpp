// Attachments over sync (docs/sync-protocol.md section 12), the parts both
// ends share: the journal's attachment references, the point's confirmed ids,
// partial files that resume, and the point's two session steps. Private to
// the sync library.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "motcua/canonical.hpp"
#include "motcua/node/blobs.hpp"
#include "motcua/result.hpp"
#include "sync_codec.hpp"

namespace motcua::node {
class Node;
}

namespace motcua::sync::blobs {

inline constexpr size_t kChunkBytes = 1u << 20;  // blob_chunk_bytes
inline constexpr size_t kMaxCheckIds = 1000;     // ids per blob_check

bool valid_id(std::string_view id);
// An error of this node's own disk (io_error, a storage fault, a busy
// database) rather than of the attachment: the transfer is kept to resume.
bool local_disk_error(const Error& e);

// The node's own blob store (<data-dir>/blobs, limit: config max_blob_bytes),
// sharing the journal's lock on the database connection.
std::unique_ptr<node::BlobStore> store_of(node::Node& n);

// Indexes the attachment ids referenced by every journal entry added since
// the last call (blob_refs, section 12.1). Takes the journal lock.
Status catch_up_refs(node::Node& n);

// The point's candidates: ids in blob_refs not confirmed by the hub, split
// into those this node holds (to upload) and those it lacks (to download).
// REQUIRES catch_up_refs() first.
struct Candidates {
  std::vector<std::string> held, lacking;
};
Candidates candidates(node::Node& n, node::BlobStore& store);
// Records that the hub holds `id` (and so does this node).
void confirm(node::Node& n, const std::string& id, int64_t now_ms);

// Partial files of blobs being received: <data-dir>/blobs/partial/<id>. Not
// thread-safe for the same id; the hub serialises them.
class Partials {
 public:
  explicit Partials(const std::string& data_dir);
  // Bytes held of `id` (0 when there is no partial file).
  int64_t held(const std::string& id) const;
  // Appends `data` at `offset` and fsyncs. REQUIRES offset == held(id).
  Status append(const std::string& id, int64_t offset, std::string_view data);
  void discard(const std::string& id);
  // Streams the partial file through `store`'s writer and BLAKE2b-256; the
  // blob is stored only if the bytes hash to `id` ("blob_mismatch", field
  // "id", otherwise; the writer's own errors pass through). The partial file
  // is removed either way, except on a local_disk_error().
  Result<node::BlobInfo> complete(const std::string& id, node::BlobStore& store);

 private:
  std::string path(const std::string& id) const;
  std::string dir_;
};

// Reads up to `n` bytes of `path` from `offset`.
Result<std::string> read_range(const std::string& path, int64_t offset, size_t n);

// One signed request of the running session (sync_client.cpp's call()).
using Call = std::function<Result<wire::Decoded>(const std::string& kind, Json header, std::string_view data)>;

struct Stats {
  int64_t blobs_up = 0, blobs_down = 0;
  int64_t bytes_up = 0, bytes_down = 0;  // attachment bytes carried in chunks
  Json errors = Json::array();           // up to 10 {"id", "code", "message"}
  void note(const std::string& id, const Error& e);
};

struct StepOptions {
  size_t chunk_bytes = kChunkBytes;
  int64_t hub_max_bytes = 0;  // the hub's max_blob_bytes from the welcome (0: unknown)
};

// After the push: uploads the attachments the hub lacks (section 12.7).
// Refusals about one blob are noted in `st`; any other error stops the step.
Status upload(node::Node& n, const Call& call, const StepOptions& o, Stats& st);
// After the pull: downloads the attachments of held dossiers this node lacks.
Status download(node::Node& n, const Call& call, const StepOptions& o, Stats& st);
// Candidates not settled yet (for the summary and status).
int64_t waiting(node::Node& n);

}  // namespace motcua::sync::blobs
