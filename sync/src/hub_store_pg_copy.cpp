// The PostgreSQL HubStore (hub_store_pg.hpp): the enumerations and the
// import of `motcua hub copy-store` (copy_hub_bookkeeping).
#include "hub_store_copy.hpp"
#include "hub_store_pg.hpp"

namespace motcua::sync::pg_store {

std::vector<EnrolmentCodeRecord> PgHubStore::all_enrolment_codes() {
  return must(run<std::vector<EnrolmentCodeRecord>>([&](Tx& tx) -> Result<std::vector<EnrolmentCodeRecord>> {
    Rows q = tx.exec(
        "SELECT code_hash, code_id, enrol_key, point, expires_ms, used_ms, used_by, replaces "
        "FROM motcua.hub_enrolment_codes ORDER BY point, code_id, code_hash");
    std::vector<EnrolmentCodeRecord> out;
    for (int i = 0; i < q.size(); ++i) {
      EnrolmentCodeRecord c;
      c.code_hash = q.arr0<32>(i, 0);
      c.code_id = q.str(i, 1);
      c.enrol_key = q.arr0<32>(i, 2);
      c.point = q.str(i, 3);
      c.expires_ms = q.i64(i, 4);
      c.used_ms = q.i64(i, 5);
      c.used_by = q.arr<32>(i, 6);
      c.replaces = q.arr<32>(i, 7);
      out.push_back(std::move(c));
    }
    return out;
  }));
}

std::vector<LeaseRecord> PgHubStore::all_leases() {
  return must(run<std::vector<LeaseRecord>>([&](Tx& tx) -> Result<std::vector<LeaseRecord>> {
    Rows q = tx.exec(
        "SELECT agency, day, first, last, point, retired_ms FROM motcua.hub_leases ORDER BY agency, day, first");
    std::vector<LeaseRecord> out;
    for (int i = 0; i < q.size(); ++i)
      out.push_back(LeaseRecord{Lease{q.str(i, 0), q.str(i, 1), static_cast<int>(q.i64(i, 2)),
                                      static_cast<int>(q.i64(i, 3)), q.str(i, 4)},
                                q.i64(i, 5)});
    return out;
  }));
}

std::vector<PointEpoch> PgHubStore::point_epochs() {
  return must(run<std::vector<PointEpoch>>([&](Tx& tx) -> Result<std::vector<PointEpoch>> {
    Rows q = tx.exec("SELECT point, epoch, first_ms FROM motcua.hub_point_epochs ORDER BY point, first_ms, epoch");
    std::vector<PointEpoch> out;
    for (int i = 0; i < q.size(); ++i) out.push_back(PointEpoch{q.str(i, 0), q.str(i, 1), q.i64(i, 2)});
    return out;
  }));
}

std::vector<Alert> PgHubStore::all_alerts() {
  return must(run<std::vector<Alert>>([&](Tx& tx) -> Result<std::vector<Alert>> {
    Rows q = tx.exec(std::string("SELECT ") + kAlertCols + " FROM motcua.sync_alerts ORDER BY n");
    std::vector<Alert> out;
    for (int i = 0; i < q.size(); ++i) out.push_back(read_alert(q, i));
    return out;
  }));
}

// One transaction; the table of last leased numbers (hub_lease_days, which
// lease() locks) is rebuilt from the copied leases.
Status PgHubStore::import_bookkeeping(const HubBookkeeping& b) {
  return run<Ok>([&](Tx& tx) -> Result<Ok> {
    tx.exec("LOCK TABLE motcua.hub_points IN EXCLUSIVE MODE");
    if (tx.exec("SELECT 1 FROM motcua.hub_points LIMIT 1").size() > 0)
      return make_error("conflict", "the target hub store already holds points: copy only into an empty one");
    copy::write_bookkeeping(
        [&](const std::string& sql, const std::vector<copy::Value>& args) {
          std::vector<Arg> a;
          a.reserve(args.size());
          for (const auto& v : args) {
            if (v.kind == copy::Value::Int) a.push_back(num(v.i));
            else if (v.kind == copy::Value::Text) a.push_back(txt(v.s));
            else if (v.kind == copy::Value::Blob) a.push_back(raw(v.s));
            else a.push_back(null_arg());
          }
          tx.exec(copy::numbered(copy::with_schema(sql, "motcua.")), a);
        },
        b);
    tx.exec(
        "INSERT INTO motcua.hub_lease_days (agency, day, last) SELECT agency, day, max(last) FROM motcua.hub_leases "
        "GROUP BY agency, day ON CONFLICT (agency, day) DO UPDATE SET last = GREATEST(motcua.hub_lease_days.last, "
        "excluded.last)");
    return Ok{};
  });
}

}  // namespace motcua::sync::pg_store
