// POST /api/v1/blobs (raw body streamed to disk) and GET /api/v1/blobs/{id}.
#include <fstream>
#include <memory>

#include "motcua/http/guarded_server.hpp"
#include "motcua/http/router.hpp"
#include "motcua/http/util.hpp"

namespace motcua::http {

void mount_blob_routes(Router& r) {
  HttpContext& ctx = r.ctx();

  r.post_stream("/api/v1/blobs", {node::UserRole::Clerk, node::UserRole::Postal},
                [&ctx](Call& c, const httplib::ContentReader& reader) {
                  auto writer = ctx.blobs.begin();
                  std::optional<Error> failed;
                  bool multipart = false;
                  bool read = read_body(c.req, reader, [&](const char* p, size_t n) {
                    if (failed) return;  // keep draining; the answer is already decided
                    Status s = writer->write(reinterpret_cast<const uint8_t*>(p), n);
                    if (!s.ok()) failed = s.error();
                  }, multipart);
                  if (!read && (c.res.status == 413 || connection_body_over_budget())) {
                    connection_close_after_response();
                    c.res.set_header("Connection", "close");
                  }
                  if (!read && (c.res.status == 413 || connection_body_over_budget()))
                    failed = make_error("too_large", "the attachment is larger than the limit of " +
                                                         std::to_string(ctx.blobs.max_bytes()) +
                                                         " bytes (max_blob_bytes)",
                                        "content");
                  if (multipart)
                    failed = make_error("bad_request", "send the file's bytes as the request body, not a multipart form",
                                        "content");
                  if (!read && !failed) failed = make_error("bad_request", "the upload could not be read");
                  if (failed) return send_error(c.res, *failed);
                  auto info = writer->finish();
                  if (!info.ok()) return send_error(c.res, info.error());
                  send_json(c.res, 201, Json{{"id", info->id}, {"size", info->size}, {"media_type", info->media_type}});
                });

  r.get("/api/v1/blobs/{id}", Access::User, {}, [&ctx](Call& c) {
    auto info = ctx.blobs.info(c.param(1));
    auto path = info ? ctx.blobs.path(info->id) : std::nullopt;
    if (!info || !path) return send_error(c.res, make_error("not_found", "no attachment with this id", "id"));
    auto in = std::make_shared<std::ifstream>(*path, std::ios::binary);
    if (!*in) return send_error(c.res, make_error("io_error", "the attachment cannot be read"));
    c.res.status = 200;
    c.res.set_header("Cache-Control", "private, max-age=31536000, immutable");
    c.res.set_header("X-Content-Type-Options", "nosniff");
    c.res.set_content_provider(
        static_cast<size_t>(info->size), info->media_type,
        [in](size_t offset, size_t length, httplib::DataSink& sink) {
          char buf[64 * 1024];
          in->seekg(static_cast<std::streamoff>(offset));
          size_t want = std::min(length, sizeof buf);
          in->read(buf, static_cast<std::streamsize>(want));
          std::streamsize got = in->gcount();
          if (got <= 0) return false;
          return sink.write(buf, static_cast<size_t>(got));
        });
  });
}

}  // namespace motcua::http
