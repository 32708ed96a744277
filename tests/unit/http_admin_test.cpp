// The admin screens' endpoints: the hub's points (list, register, revoke),
// alerts, the sync log's filters, the always-visible sync status, and the
// handover check of a recipient who is not the applicant.
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <regex>
#include <thread>

#include "http_test_util.hpp"
#include "motcua/node/blobs.hpp"
#include "motcua/sync/agent.hpp"
#include "motcua/sync/hub_store.hpp"
#include "sync_test_util.hpp"

using namespace motcua;
using namespace motcua::test;

namespace {

// DaemonFixture's daemon, on a hub.
struct HubDaemon {
  TempDir dir{"hubhttp"};
  ManualClock clock{kTuesdayMorningMs};
  SeededRandom rng{43};
  std::unique_ptr<node::Node> node;
  std::unique_ptr<sync::Daemon> daemon;
  std::thread runner;
  int port = 0;

  HubDaemon() {
    node = make_node(dir.sub("hub"), clock, rng, node::Role::Hub, "hub");
    node::UserStore users(node->db(), clock, rng, true);
    for (auto [name, role] : std::vector<std::pair<std::string, node::UserRole>>{
             {"clerk1", node::UserRole::Clerk},
             {"postal1", node::UserRole::Postal},
             {"officer1", node::UserRole::Officer},
             {"admin1", node::UserRole::Admin}})
      if (!users.add_user(name, role, name + "-password").ok()) throw std::runtime_error("add_user");
    sync::DaemonOptions opt;
    opt.host = "127.0.0.1";
    opt.port = 0;
    opt.fast_password_hash = true;
    opt.background_sync = false;
    opt.threads = 4;
    opt.log = [](const std::string&) {};
    daemon = std::make_unique<sync::Daemon>(*node, opt);
    auto b = daemon->bind();
    if (!b.ok()) throw std::runtime_error(b.error().message);
    port = daemon->port();
    runner = std::thread([this] { (void)daemon->run(); });
  }
  ~HubDaemon() {
    daemon->stop();
    runner.join();
    daemon.reset();
  }
  std::unique_ptr<httplib::Client> client() {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
    c->set_read_timeout(20);
    return c;
  }
  httplib::Headers login(const std::string& user) {
    auto r = client()->Post("/api/v1/sessions", Json{{"username", user}, {"password", user + "-password"}}.dump(),
                            "application/json");
    if (!r || r->status != 200) throw std::runtime_error("login failed for " + user);
    return DaemonFixture::bearer(Json::parse(r->body)["token"].get<std::string>());
  }
};

Json point_named(const Json& list, const std::string& name) {
  for (const auto& p : list)
    if (p["name"] == name) return p;
  return Json();
}

void refused_with(const httplib::Result& r, int status, const std::string& code, const std::string& field = "") {
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == status);
  Json e = body_json(r)["error"];
  CHECK(e["code"] == code);
  if (!field.empty()) CHECK(e["field"] == field);
  CHECK(e["message"].is_string());
  CHECK(e["message_en"].is_string());
}

}  // namespace

TEST_CASE("the hub's admin registers a point over HTTP, sees it enrol and sync, and revokes it", "[http][admin][hub]") {
  HubDaemon h;
  auto admin = h.login("admin1");
  auto c = h.client();
  auto made = c->Post("/api/v1/points", admin,
                      Json{{"name", "xa-an-thi"}, {"area", "H22-an-thi"}, {"place_name", "UBND xã Ân Thi"},
                           {"daily_capacity", 200}, {"agency_code", "000.00.01.H22"}}
                          .dump(),
                      "application/json");
  REQUIRE(made);
  REQUIRE(made->status == 201);
  Json m = body_json(made);
  CHECK(m["name"] == "xa-an-thi");
  const std::string code = m["enrolment_code"].get<std::string>();
  CHECK(std::regex_match(code, std::regex("[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}")));
  CHECK(m["expires_at"] == "2025-07-04T02:00:00.000Z");  // 72 hours

  auto listed = c->Get("/api/v1/points", admin);
  REQUIRE(listed->status == 200);
  Json p = point_named(body_json(listed), "xa-an-thi");
  REQUIRE(p.is_object());
  CHECK(p["place_name"] == "UBND xã Ân Thi");
  CHECK(p["area"] == "H22-an-thi");
  CHECK(p["daily_capacity"] == 200);
  CHECK(p["status"] == "pending");
  CHECK(p["revoked"] == false);
  CHECK(p["last_seen"].is_null());
  CHECK(p["lag_entries"] == 0);
  CHECK(p["clock_skew_ms"] == 0);
  CHECK(p["alerts"] == 0);

  // The point joins with the code and syncs; the list shows it.
  sync::Hub hub(*h.node, sync::make_sqlite_hub_store(*h.node));
  DirectTransport link(hub);
  auto point = make_node(h.dir.sub("point"), h.clock, h.rng, node::Role::Point, "xa-an-thi");
  REQUIRE(sync::join(*point, link, "http://hub.test", code).ok());
  h.clock.advance(60 * 1000);
  REQUIRE(sync::sync_once(*point, link).ok());
  p = point_named(body_json(c->Get("/api/v1/points", admin)), "xa-an-thi");
  CHECK(p["status"] == "active");
  CHECK(p["last_seen"] == "2025-07-01T02:01:00Z");
  CHECK(p["revoked"] == false);

  // Revoked: the hub refuses its next sync and raises an alert.
  auto revoked = c->Post("/api/v1/points/xa-an-thi/revoke", admin, "", "application/json");
  REQUIRE(revoked);
  REQUIRE(revoked->status == 200);
  CHECK(body_json(revoked)["revoked"] == true);
  CHECK(body_json(revoked)["status"] == "revoked");
  auto again = sync::sync_once(*point, link);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == "revoked_key");
  p = point_named(body_json(c->Get("/api/v1/points", admin)), "xa-an-thi");
  CHECK(p["revoked"] == true);
  CHECK(p["alerts"].get<int64_t>() >= 1);
  auto alerts = c->Get("/api/v1/alerts?point=xa-an-thi", admin);
  REQUIRE(alerts->status == 200);
  bool saw = false;
  const Json listed_alerts = body_json(alerts);
  for (const auto& a : listed_alerts["items"]) saw = saw || a["kind"] == "revoked";
  CHECK(saw);
  // Revoking twice is a conflict; an unknown point is 404.
  refused_with(c->Post("/api/v1/points/xa-an-thi/revoke", admin, "", "application/json"), 409, "conflict", "name");
  refused_with(c->Post("/api/v1/points/nowhere/revoke", admin, "", "application/json"), 404, "not_found", "name");
}

TEST_CASE("registering a point refuses bad input naming the field and changes nothing", "[http][admin][hub]") {
  HubDaemon h;
  auto admin = h.login("admin1");
  auto c = h.client();
  REQUIRE(c->Post("/api/v1/points", admin, Json{{"name", "taken"}, {"area", "A"}, {"agency_code", "AG"}}.dump(),
                  "application/json")
              ->status == 201);
  REQUIRE(c->Post("/api/v1/points/taken/revoke", admin, "{}", "application/json")->status == 200);
  const auto before = snapshot(*h.node);
  struct Case {
    Json body;
    std::string code, field, message;
  };
  const std::vector<Case> cases = {
      {Json{{"area", "A"}}, "missing_field", "name", "Thiếu trường bắt buộc: Tên."},
      {Json{{"name", "p1"}}, "missing_field", "area", "Thiếu trường bắt buộc: Địa bàn."},
      {Json{{"name", "p1"}, {"area", " "}}, "missing_field", "area", ""},
      {Json{{"name", "có dấu"}, {"area", "A"}, {"agency_code", "AG"}}, "invalid_value", "name", ""},
      {Json{{"name", 7}, {"area", "A"}}, "wrong_type", "name", ""},
      {Json{{"name", "p1"}, {"area", "A"}, {"daily_capacity", "lots"}}, "wrong_type", "daily_capacity", ""},
      {Json{{"name", "p1"}, {"area", "A"}, {"daily_capacity", 0}, {"agency_code", "AG"}}, "invalid_value", "daily_capacity",
       "Số hồ sơ mỗi ngày phải là số nguyên từ 1 đến 9999."},
      {Json{{"name", "p1"}, {"area", "A"}, {"place_name", std::string(201, 'x')}}, "invalid_value", "place_name", ""},
      {Json{{"name", "p1"}, {"area", "A"}, {"expires_hours", 0}}, "invalid_value", "expires_hours", ""},
      {Json{{"name", "p1"}, {"area", "A"}, {"colour", "red"}}, "unknown_field", "colour", ""},
      {Json{{"name", "taken"}, {"area", "A"}, {"agency_code", "AG"}}, "conflict", "name", ""},
      {Json{{"name", "p1"}, {"area", "A"}}, "missing_field", "agency_code",
       "Thiếu trường bắt buộc: Mã cơ quan tiếp nhận."},
      {Json{{"name", "p1"}, {"area", "A"}, {"agency_code", "A B"}}, "invalid_value", "agency_code", ""},
      {Json{{"name", "p1"}, {"area", "A"}, {"agency_code", "AG"}, {"acts", "sign_anything"}}, "invalid_value", "acts",
       ""},
      {Json{{"name", "p1"}, {"area", "A"}, {"agency_code", "AG"}, {"acts", 3}}, "wrong_type", "acts", ""},
  };
  for (const auto& k : cases) {
    INFO(k.body.dump());
    auto r = c->Post("/api/v1/points", admin, k.body.dump(), "application/json");
    refused_with(r, k.code == "conflict" ? 409 : 400, k.code, k.field);
    if (!k.message.empty()) CHECK(body_json(r)["error"]["message"] == k.message);
  }
  refused_with(c->Post("/api/v1/points", admin, "[1,2]", "application/json"), 400, "wrong_type");
  refused_with(c->Post("/api/v1/points", admin, "{", "application/json"), 400, "invalid_json");
  refused_with(c->Post("/api/v1/points/taken/revoke", admin, R"({"why":"x"})", "application/json"), 400,
               "unknown_field", "why");
  CHECK(snapshot(*h.node) == before);
}

TEST_CASE("hub administration is for admins only, and only at a hub", "[http][admin][auth]") {
  HubDaemon h;
  auto c = h.client();
  const std::string body = Json{{"name", "p1"}, {"area", "A"}}.dump();
  const auto before = snapshot(*h.node);
  for (const char* user : {"clerk1", "postal1", "officer1"}) {
    INFO(user);
    auto who = h.login(user);
    refused_with(c->Get("/api/v1/points", who), 403, "forbidden");
    refused_with(c->Post("/api/v1/points", who, body, "application/json"), 403, "forbidden");
    refused_with(c->Post("/api/v1/points/p1/revoke", who, "", "application/json"), 403, "forbidden");
    refused_with(c->Get("/api/v1/alerts", who), 403, "forbidden");
    refused_with(c->Get("/api/v1/audit/sync-log", who), 403, "forbidden");
  }
  refused_with(c->Get("/api/v1/points"), 401, "unauthorized");
  refused_with(c->Post("/api/v1/points", body, "application/json"), 401, "unauthorized");
  CHECK(snapshot(*h.node) == before);

  // At a point: 409 not_a_hub, in Vietnamese; the point's own alerts still answer.
  DaemonFixture f;
  auto admin = DaemonFixture::bearer(f.login("admin1"));
  auto pc = f.client();
  const auto point_before = snapshot(*f.node);
  refused_with(pc->Get("/api/v1/points", admin), 409, "not_a_hub");
  refused_with(pc->Post("/api/v1/points", admin, body, "application/json"), 409, "not_a_hub");
  auto r = pc->Post("/api/v1/points/p1/revoke", admin, "", "application/json");
  refused_with(r, 409, "not_a_hub");
  CHECK(body_json(r)["error"]["message"] == "Chức năng này chỉ có trên máy chủ trung tâm, không có ở điểm phục vụ.");
  auto alerts = pc->Get("/api/v1/alerts", admin);
  REQUIRE(alerts->status == 200);
  CHECK(body_json(alerts)["items"].is_array());
  CHECK(snapshot(*f.node) == point_before);
}

TEST_CASE("the sync log filters by point, time, result and count", "[http][admin][audit]") {
  DaemonFixture f;
  {
    auto store = sync::make_sqlite_hub_store(*f.node);
    const int64_t t0 = kTuesdayMorningMs - 10 * 3600 * 1000LL;
    int i = 0;
    for (auto [point, result] : std::vector<std::pair<std::string, std::string>>{
             {"a", "ok"}, {"a", "failed"}, {"b", "ok"}, {"b", "refused"}, {"a", "running"}, {"b", "ok"}}) {
      sync::SyncLogRow r;
      r.id = "s" + std::to_string(i);
      r.point = point;
      r.started_ms = r.ended_ms = t0 + i * 3600 * 1000LL;  // one an hour; the running one long abandoned
      r.result = result;
      r.error = result == "ok" ? "" : "link_down: test";
      store->put_session(r);
      ++i;
    }
  }
  auto admin = DaemonFixture::bearer(f.login("admin1"));
  auto c = f.client();
  auto ids = [&](const std::string& query) {
    auto r = c->Get("/api/v1/audit/sync-log" + query, admin);
    REQUIRE(r);
    INFO(query << " " << r->body);
    REQUIRE(r->status == 200);
    std::vector<std::string> out;
    const Json log = body_json(r);
    for (const auto& s : log["sessions"]) out.push_back(s["id"]);
    return out;
  };
  CHECK(ids("") == std::vector<std::string>{"s5", "s4", "s3", "s2", "s1", "s0"});
  CHECK(ids("?result=ok") == std::vector<std::string>{"s5", "s2", "s0"});
  // Failed, refused, and the running session abandoned long ago (interrupted).
  CHECK(ids("?result=failed") == std::vector<std::string>{"s4", "s3", "s1"});
  CHECK(ids("?result=running").empty());
  CHECK(ids("?point=b") == std::vector<std::string>{"s5", "s3", "s2"});
  CHECK(ids("?point=a&result=failed") == std::vector<std::string>{"s4", "s1"});
  CHECK(ids("?limit=2") == std::vector<std::string>{"s5", "s4"});
  // 2025-07-01T02:00+07:00 = 2025-06-30T19:00Z: the sessions of 19:00Z and later.
  CHECK(ids("?since=2025-07-01T02:00:00%2B07:00") == std::vector<std::string>{"s5", "s4", "s3"});
  CHECK(ids("?since=2025-07-01T02:00:00%2B07:00&result=ok&point=b") == std::vector<std::string>{"s5"});
  refused_with(c->Get("/api/v1/audit/sync-log?result=maybe", admin), 400, "invalid_value", "result");
  refused_with(c->Get("/api/v1/audit/sync-log?limit=0", admin), 400, "invalid_value", "limit");
  refused_with(c->Get("/api/v1/audit/sync-log?limit=1001", admin), 400, "invalid_value", "limit");
  refused_with(c->Get("/api/v1/audit/sync-log?since=yesterday", admin), 400, "invalid_value", "since");
}

namespace {

// The hub over a link that can hold a pull until the test lets it go.
class GatedLink final : public sync::Transport {
 public:
  explicit GatedLink(sync::Hub& hub) : hub_(hub) {}
  Result<sync::WireResponse> exchange(const sync::WireRequest& req) override {
    if (req.path == "/sync/v2/pull" && gate.load()) {
      std::unique_lock<std::mutex> lk(mu_);
      held = true;
      cv_.notify_all();
      cv_.wait(lk, [&] { return !gate.load(); });
    }
    return hub_.handle(req);
  }
  void open() {
    std::lock_guard<std::mutex> g(mu_);
    gate = false;
    cv_.notify_all();
  }
  bool wait_held() {
    std::unique_lock<std::mutex> lk(mu_);
    return cv_.wait_for(lk, std::chrono::seconds(20), [&] { return held; });
  }
  std::atomic<bool> gate{true};
  bool held = false;

 private:
  sync::Hub& hub_;
  std::mutex mu_;
  std::condition_variable cv_;
};

class Forward final : public sync::Transport {
 public:
  explicit Forward(sync::Transport& t) : t_(t) {}
  Result<sync::WireResponse> exchange(const sync::WireRequest& req) override { return t_.exchange(req); }

 private:
  sync::Transport& t_;
};

}  // namespace

TEST_CASE("sync status says connected, disconnected or syncing with what waits and the progress",
          "[http][admin][sync]") {
  SyncWorld w{23};
  size_t i = w.add_point("p1", "area-a");
  node::Node& point = *w.points[i];
  GatedLink link(*w.hub);
  sync::AgentOptions o;
  o.transport = [&link](const std::string&) -> Result<std::unique_ptr<sync::Transport>> {
    return std::unique_ptr<sync::Transport>(std::make_unique<Forward>(link));
  };
  auto agent = sync::make_sync_agent(point, std::move(o));

  // Joined, never synced: disconnected, with the point's entries waiting.
  for (int k = 0; k < 3; ++k) w.take_in(i);
  Json s = agent->status();
  CHECK(s["state"] == "disconnected");
  CHECK(s["entries_waiting"] == 3);
  CHECK(s["attachments_waiting"] == 0);
  CHECK(s["last_success_at"].is_null());
  CHECK_FALSE(s.contains("progress"));

  // While a session runs (held at its pull): syncing, with progress.
  std::thread session([&] { (void)agent->sync_now(); });
  REQUIRE(link.wait_held());
  s = agent->status();
  CHECK(s["state"] == "syncing");
  REQUIRE(s.contains("progress"));
  CHECK(s["progress"]["total"].get<int64_t>() >= 3);
  CHECK(s["progress"]["done"] == 3);  // the three were pushed before the pull
  link.open();
  session.join();

  s = agent->status();
  CHECK(s["state"] == "connected");
  CHECK(s["entries_waiting"] == 0);
  CHECK(s["last_success_at"] == "2025-07-01T09:00:00+07:00");
  CHECK_FALSE(s.contains("progress"));
  // The old fields stay.
  CHECK(s["connected"] == true);
  CHECK(s.contains("waiting_up"));
  CHECK(s.contains("last_success"));

  // A hub: connected, nothing waiting.
  auto hub_agent = sync::make_sync_agent(*w.hub_node);
  Json hs = hub_agent->status();
  CHECK(hs["state"] == "connected");
  CHECK(hs["entries_waiting"] == 0);
  CHECK(hs["attachments_waiting"] == 0);
  CHECK(hs["points"].is_array());
}

TEST_CASE("sync status over HTTP at a point with no hub is disconnected", "[http][admin][sync]") {
  DaemonFixture f;
  auto clerk = DaemonFixture::bearer(f.login("clerk1"));
  auto c = f.client();
  REQUIRE(c->Post("/api/v1/dossiers", clerk, intake_request().dump(), "application/json")->status == 201);
  auto r = c->Get("/api/v1/sync/status", clerk);
  REQUIRE(r->status == 200);
  Json s = body_json(r);
  CHECK(s["state"] == "disconnected");
  CHECK(s["entries_waiting"] == 1);
  CHECK(s["attachments_waiting"] == 0);
  CHECK(s["last_success_at"].is_null());
}

namespace {

// A dossier of Nguyễn Văn An (CCCD 001099012345) with its result ready.
std::string result_ready(DaemonFixture& f, httplib::Client& c) {
  auto clerk = DaemonFixture::bearer(f.login("clerk1"));
  auto officer = DaemonFixture::bearer(f.login("officer1"));
  auto made = c.Post("/api/v1/dossiers", clerk, intake_request().dump(), "application/json");
  REQUIRE(made->status == 201);
  const std::string base = "/api/v1/dossiers/" + body_json(made)["code"].get<std::string>();
  REQUIRE(c.Post(base + "/accept", officer, "{}", "application/json")->status == 200);
  REQUIRE(c.Post(base + "/result-ready", officer, "{}", "application/json")->status == 200);
  return base;
}

}  // namespace

TEST_CASE("a result handed to someone other than the applicant needs the relation and the authorisation",
          "[http][admin][dossiers]") {
  DaemonFixture f;
  auto c = f.client();
  const std::string base = result_ready(f, *c);
  auto clerk = DaemonFixture::bearer(f.login("clerk1"));
  const auto before = snapshot(*f.node);
  auto handover = [&](const Json& recipient) {
    return c->Post(base + "/handover", clerk, Json{{"recipient", recipient}, {"place", "counter"}}.dump(),
                   "application/json");
  };
  const Json relative{{"full_name", "Trần Thị Bình"}, {"cccd", "001199012399"}};
  auto r = handover(relative);
  refused_with(r, 400, "missing_field", "recipient.relation");
  CHECK(body_json(r)["error"]["message"].get<std::string>().find("quan hệ với người nộp hồ sơ") != std::string::npos);
  Json with_relation = relative;
  with_relation["relation"] = "vợ";
  r = handover(with_relation);
  refused_with(r, 400, "missing_field", "recipient.authorization");
  CHECK(body_json(r)["error"]["message"].get<std::string>().find("giấy ủy quyền") != std::string::npos);
  Json blank = with_relation;
  blank["authorization"] = "   ";
  refused_with(handover(blank), 400, "missing_field", "recipient.authorization");
  Json unknown_scan = with_relation;
  unknown_scan["authorization"] = std::string(64, 'a');
  refused_with(handover(unknown_scan), 400, "invalid_value", "recipient.authorization");
  CHECK(snapshot(*f.node) == before);

  // With both (the authorisation's scan uploaded): handed over, the scan
  // travels with the dossier as an attachment.
  const std::string pdf = "%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
  auto up = c->Post("/api/v1/blobs", clerk, pdf, "application/pdf");
  REQUIRE(up->status == 201);
  const std::string scan = body_json(up)["id"];
  Json authorised = with_relation;
  authorised["authorization"] = scan;
  auto ok = handover(authorised);
  REQUIRE(ok);
  INFO(ok->body);
  REQUIRE(ok->status == 200);
  CHECK(body_json(ok)["status"] == 10);
  Json hist = body_json(c->Get(base + "/history", clerk));
  Json last = hist["events"].back();
  CHECK(last["body"]["recipient"]["relation"] == "vợ");
  CHECK(last["body"]["recipient"]["authorization"] == scan);
  CHECK(last["body"]["attachments"] == Json::array({scan}));
}

TEST_CASE("the applicant collects the result without relation or authorisation, a text reference also serves",
          "[http][admin][dossiers]") {
  DaemonFixture f;
  auto c = f.client();
  auto clerk = DaemonFixture::bearer(f.login("clerk1"));
  const std::string first = result_ready(f, *c);
  auto r = c->Post(first + "/handover", clerk,
                   Json{{"recipient", {{"full_name", "Nguyễn Văn An"}, {"cccd", "001099012345"}}}, {"place", "counter"}}
                       .dump(),
                   "application/json");
  REQUIRE(r->status == 200);
  const std::string second = result_ready(f, *c);
  r = c->Post(second + "/handover", clerk,
              Json{{"recipient",
                    {{"full_name", "Nguyễn Văn Cường"},
                     {"cccd", "001099012346"},
                     {"relation", "anh trai"},
                     {"authorization", "Giấy ủy quyền số 15/UQ ngày 30/06/2025, UBND xã Ân Thi chứng thực"}}},
                   {"place", "counter"}}
                  .dump(),
              "application/json");
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == 200);
  Json last = body_json(c->Get(second + "/history", clerk))["events"].back();
  CHECK_FALSE(last["body"].contains("attachments"));
}

TEST_CASE("motcua point add --place-name records the place name the admin list shows", "[admin][cli]") {
  TempDir dir("placename");
  ManualClock clock(kTuesdayMorningMs);
  SeededRandom rng(5);
  make_node(dir.path(), clock, rng, node::Role::Hub, "hub");
  int st = -1;
  std::string out =
      run_motcua("point add xa-an-thi --area an-thi --agency 000.00.01.H22 --place-name 'UBND xã Ân Thi' --data-dir '" + dir.path() + "'", &st);
  INFO(out);
  CHECK(st == 0);
  // The acts as stored: the default spec (counter) expanded, not "1 acts".
  CHECK(out.find("9 acts") != std::string::npos);
  out = run_motcua("point add xa-b --area an-thi --agency 000.00.01.H22 --acts dossier.submitted,dossier.handed_over "
                   "--data-dir '" + dir.path() + "'", &st);
  CHECK(out.find("2 acts") != std::string::npos);
  auto n = open_existing(dir.path(), clock);
  sync::Hub hub(*n, sync::make_sqlite_hub_store(*n));
  Json p = point_named(hub.points(), "xa-an-thi");
  CHECK(p["acts"].size() == 9);
  CHECK(p["place_name"] == "UBND xã Ân Thi");
  CHECK(p["revoked"] == false);
}
