// The SQLite HubStore (hub_store_sqlite.hpp): the enumerations and the
// import of `motcua hub copy-store` (copy_hub_bookkeeping).
#include "hub_store_copy.hpp"
#include "hub_store_sqlite.hpp"

namespace motcua::sync {

using namespace sqlite_store;

std::vector<EnrolmentCodeRecord> SqliteHubStore::all_enrolment_codes() {
  Lock g(mu_);
  SQLite::Statement q(*db_,
                      "SELECT code_hash, code_id, enrol_key, point, expires_ms, used_ms, used_by, replaces "
                      "FROM hub_enrolment_codes ORDER BY point, code_id, code_hash");
  std::vector<EnrolmentCodeRecord> out;
  while (q.executeStep()) {
    EnrolmentCodeRecord c;
    c.code_hash = blob_array<32>(q.getColumn(0));
    c.code_id = q.getColumn(1).getString();
    if (q.getColumn(2).getBytes() == 32) c.enrol_key = blob_array<32>(q.getColumn(2));
    c.point = q.getColumn(3).getString();
    c.expires_ms = q.getColumn(4).getInt64();
    c.used_ms = q.getColumn(5).getInt64();
    if (q.getColumn(6).getBytes() == 32) c.used_by = blob_array<32>(q.getColumn(6));
    if (q.getColumn(7).getBytes() == 32) c.replaces = blob_array<32>(q.getColumn(7));
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<LeaseRecord> SqliteHubStore::all_leases() {
  Lock g(mu_);
  SQLite::Statement q(*db_,
                      "SELECT agency, day, first, last, point, retired_ms FROM hub_leases ORDER BY agency, day, first");
  std::vector<LeaseRecord> out;
  while (q.executeStep())
    out.push_back(LeaseRecord{Lease{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt(),
                                    q.getColumn(3).getInt(), q.getColumn(4).getString()},
                              q.getColumn(5).getInt64()});
  return out;
}

std::vector<PointEpoch> SqliteHubStore::point_epochs() {
  Lock g(mu_);
  SQLite::Statement q(*db_, "SELECT point, epoch, first_ms FROM hub_point_epochs ORDER BY point, first_ms, epoch");
  std::vector<PointEpoch> out;
  while (q.executeStep())
    out.push_back(PointEpoch{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt64()});
  return out;
}

std::vector<Alert> SqliteHubStore::all_alerts() {
  Lock g(mu_);
  SQLite::Statement q(*db_, std::string("SELECT ") + kAlertCols + " FROM sync_alerts ORDER BY n");
  std::vector<Alert> out;
  while (q.executeStep()) out.push_back(read_alert(q));
  return out;
}

Status SqliteHubStore::import_bookkeeping(const HubBookkeeping& b) try {
  Lock g(mu_);
  Status result = ok_status();
  atomically(*db_, [&] {
    if (db_->execAndGet("SELECT count(*) FROM hub_points").getInt64() > 0) {
      result = make_error("conflict", "the target hub store already holds points: copy only into an empty one");
      return;
    }
    copy::write_bookkeeping(
        [&](const std::string& sql, const std::vector<copy::Value>& args) {
          SQLite::Statement q(*db_, copy::with_schema(sql, ""));
          for (size_t i = 0; i < args.size(); ++i) {
            const int at = static_cast<int>(i + 1);
            const copy::Value& v = args[i];
            if (v.kind == copy::Value::Int) q.bind(at, static_cast<int64_t>(v.i));
            else if (v.kind == copy::Value::Text) q.bind(at, v.s);
            else if (v.kind == copy::Value::Blob) q.bind(at, v.s.data(), static_cast<int>(v.s.size()));
            else q.bind(at);
          }
          q.exec();
        },
        b);
  });
  return result;
} catch (const SQLite::Exception& e) {
  return schema::storage_error(e);
}

}  // namespace motcua::sync
