// Error codes onto HTTP statuses and Vietnamese sentences, in one table.
// To add a code: one row in kCodes (status, a sentence without a field, and
// one naming the field as {field}); a clearer sentence for a code on one
// field goes in kPairs; a new request field gets its name in kFields.
// tests/unit/api_error_test.cpp checks that every code the sources emit has
// a row (docs/design/0059-vietnamese-error-messages.md).
#include "motcua/http/api_error.hpp"

#include <cstring>
#include <map>

namespace motcua::http {

namespace {

struct CodeRow {
  const char* code;
  int status;
  const char* vi;        // without a field
  const char* vi_field;  // with {field}; nullptr: vi
};

// clang-format off
const CodeRow kCodes[] = {
    // The request itself (400, 413, 415).
    {"invalid_json", 400, "Nội dung gửi lên không phải JSON hợp lệ.", nullptr},
    {"unknown_field", 400, "Yêu cầu có trường không được chấp nhận.", "Trường không được chấp nhận: {field}."},
    {"wrong_type", 400, "Kiểu dữ liệu không đúng: nội dung gửi lên phải là một đối tượng JSON.",
     "Kiểu dữ liệu không đúng ở trường: {field}."},
    {"missing_field", 400, "Thiếu thông tin bắt buộc.", "Thiếu trường bắt buộc: {field}."},
    {"invalid_value", 400, "Giá trị không hợp lệ.", "Giá trị không hợp lệ: {field}."},
    {"missing_document", 400, "Thiếu giấy tờ bắt buộc của thủ tục.", "Thiếu giấy tờ bắt buộc của thủ tục: {field}."},
    {"validation_failed", 400, "Tệp đính kèm phải là PDF, JPEG hoặc PNG (xét theo nội dung tệp, không theo tên tệp).", nullptr},
    {"unknown_procedure", 400, "Mã thủ tục không có trong danh mục thủ tục hành chính.", nullptr},
    {"bad_request", 400, "Yêu cầu không hợp lệ.", "Yêu cầu không hợp lệ: {field}."},
    {"not_canonical", 400, "Dữ liệu không lưu được vào sổ nhật ký có chữ ký số: không dùng số thập phân, số quá lớn "
                           "hoặc văn bản sai chuẩn Unicode.",
     "Dữ liệu ở trường {field} không lưu được vào sổ nhật ký có chữ ký số: không dùng số thập phân, số quá lớn "
     "hoặc văn bản sai chuẩn Unicode."},
    {"too_deep", 400, "Nội dung gửi lên lồng nhau quá nhiều cấp.", nullptr},
    {"too_large", 413, "Nội dung gửi lên quá lớn.", "{field} quá lớn."},
    {"unsupported_encoding", 415, "Máy chủ không nhận nội dung đã nén; hãy gửi nội dung không nén.", nullptr},
    // Who is asking (401, 403, 429).
    {"unauthorized", 401, "Sai tên đăng nhập hoặc mật khẩu, hoặc phiên làm việc đã hết hạn.", nullptr},
    {"forbidden", 403, "Bạn không có quyền thực hiện thao tác này.", nullptr},
    {"csrf_failed", 403, "Yêu cầu bị từ chối vì không đến từ trang của hệ thống; hãy tải lại trang rồi thử lại.", nullptr},
    {"too_many_attempts", 429, "Đã thử sai quá nhiều lần; vui lòng đợi một lát rồi thử lại.", nullptr},
    // What is asked for (404, 409).
    {"not_found", 404, "Không tìm thấy dữ liệu được yêu cầu.", "Không tìm thấy: {field}."},
    {"invalid_transition", 409, "Không thể thực hiện thao tác này ở trạng thái hiện tại của hồ sơ.", nullptr},
    {"conflict", 409, "Thao tác xung đột với dữ liệu hiện có.", "Thao tác xung đột với dữ liệu hiện có: {field}."},
    {"already_exists", 409, "Dữ liệu này đã tồn tại.", "{field} này đã tồn tại."},
    {"codes_exhausted", 409, "Điểm này đã hết số hồ sơ được cấp cho ngày này; chưa có hồ sơ nào được ghi. Hãy đồng bộ "
                             "với máy chủ trung tâm để nhận thêm số, hoặc tiếp nhận tại điểm khác.", nullptr},
    {"point_restoring", 409, "Dữ liệu của điểm này vừa được khôi phục từ một bản sao cũ và đang tải lại sổ nhật ký của "
                             "điểm từ máy chủ trung tâm; chưa thể tiếp nhận hay ghi thêm gì vào hồ sơ cho đến khi tải "
                             "xong. Hãy đồng bộ với "
                             "máy chủ trung tâm rồi thử lại.", nullptr},
    {"point_revoked", 409, "Điểm này đã bị thu hồi quyền tại máy chủ trung tâm nên không tiếp nhận hồ sơ mới; chưa có "
                           "hồ sơ nào được ghi. Hãy liên hệ quản trị viên của máy chủ trung tâm.", nullptr},
    {"form_not_applicable", 409, "Hồ sơ chưa có sự việc mà mẫu phiếu này ghi lại (ví dụ chưa có yêu cầu bổ sung).",
     "Mẫu phiếu {field} chưa áp dụng được cho hồ sơ ở trạng thái hiện tại."},
    {"not_quarantined", 409, "Mục nhật ký này không (còn) bị cách ly: đã được quyết định trước đó hoặc chưa từng bị "
                             "cách ly.", nullptr},
    {"not_a_hub", 409, "Chức năng này chỉ có trên máy chủ trung tâm, không có ở điểm phục vụ.", nullptr},
    {"managed_by_hub", 409, "Điểm phục vụ nhận danh mục thủ tục và lịch nghỉ từ máy chủ trung tâm; hãy sửa tại máy chủ "
                            "trung tâm.", nullptr},
    // The node cannot record now; nothing was written (503).
    {"storage_full", 503, "Ổ đĩa đã đầy: không ghi được dữ liệu, chưa có gì được lưu. Hãy báo quản trị viên giải "
                          "phóng dung lượng; dịch vụ tự hoạt động lại khi ổ đĩa có chỗ trống.", nullptr},
    {"storage_unwritable", 503, "Không ghi được dữ liệu (ổ đĩa chỉ đọc, không có quyền ghi hoặc ổ đĩa bị lỗi), chưa có "
                                "gì được lưu. Hãy báo quản trị viên.", nullptr},
    {"hub_busy", 503, "Trung tâm đang đồng bộ với nhiều điểm cùng lúc; điểm sẽ tự đồng bộ lại sau ít giây, mọi hồ sơ vẫn "
                      "được lưu tại điểm.", nullptr},
    {"storage_busy", 503, "Cơ sở dữ liệu đang bận (một tiến trình khác đang ghi); hãy thử lại sau ít giây.", nullptr},
    {"storage", 503, "Không kết nối được với cơ sở dữ liệu (máy chủ PostgreSQL); chưa có gì được lưu. Hãy thử lại sau "
                     "ít giây hoặc báo quản trị viên.", nullptr},
    {"diverged", 503, "Sổ nhật ký trên máy này không phải bản sao của sổ nhật ký dùng chung của máy chủ trung tâm "
                      "(PostgreSQL); tiến trình này không phục vụ. Hãy báo quản trị viên.", nullptr},
    {"journal_broken", 503, "Sổ nhật ký của nút bị hỏng: nút chỉ phục vụ đọc, không ghi thêm cho đến khi quản trị viên "
                            "sửa (motcua verify).", nullptr},
    {"busy", 503, "Hệ thống đang bận; vui lòng thử lại sau ít giây.", nullptr},
    {"link_down", 503, "Không kết nối được với máy chủ trung tâm; vui lòng thử lại sau.", nullptr},
    // Faults of the node itself (500).
    {"internal_error", 0, "Lỗi nội bộ của hệ thống; nhật ký của dịch vụ có chi tiết. Hãy báo quản trị viên.", nullptr},
    {"internal", 0, "Lỗi nội bộ của hệ thống; hãy báo quản trị viên.", nullptr},
    {"io_error", 0, "Không đọc hoặc ghi được tệp trên máy; hãy báo quản trị viên.", nullptr},
    {"database_error", 0, "Lỗi cơ sở dữ liệu; hãy báo quản trị viên.", nullptr},
    // Sync as a point's admin or clerk sees it (sync now: 409 for this
    // node's setup, 502 for the hub and the link; the route decides).
    {"no_hub", 0, "Điểm này chưa kết nối với máy chủ trung tâm (cần ghi danh: motcua join).", nullptr},
    {"not_a_point", 0, "Máy chủ trung tâm không tự đồng bộ; các điểm phục vụ đồng bộ với nó.", nullptr},
    {"not_enrolled", 0, "Điểm này chưa ghi danh với máy chủ trung tâm.", nullptr},
    {"already_enrolled", 0, "Điểm này đã ghi danh với máy chủ trung tâm.", nullptr},
    {"hub_error", 0, "Máy chủ trung tâm trả lời lỗi; hãy thử lại sau hoặc báo quản trị viên.", nullptr},
    {"wrong_hub", 0, "Máy chủ trả lời không phải là máy chủ trung tâm mà điểm này đã ghi danh.", nullptr},
    {"enrolment_refused", 0, "Mã ghi danh không đúng, đã được dùng, đã hết hạn, điểm đã bị thu hồi, hoặc việc ghi danh "
                             "đi qua HTTP không mã hóa từ máy khác.", nullptr},
    {"insecure_hub_url", 0, "Chỉ được ghi danh qua địa chỉ https:// của máy chủ trung tâm (http:// chỉ dùng được trên "
                            "chính máy này).", nullptr},
    {"unknown_key", 0, "Khóa của nút này chưa được ghi danh tại máy chủ trung tâm.", "Mục cấu hình không tồn tại: {field}."},
    {"revoked_key", 0, "Điểm phục vụ này đã bị thu hồi tại máy chủ trung tâm.", nullptr},
    {"session_expired", 0, "Phiên đồng bộ đã hết hạn; hãy đồng bộ lại.", nullptr},
    {"replayed_request", 0, "Yêu cầu đồng bộ bị gửi lặp lại nên bị từ chối.", nullptr},
    {"malformed_message", 0, "Thông điệp đồng bộ không đúng định dạng.", nullptr},
    {"bad_request_signature", 0, "Chữ ký của yêu cầu đồng bộ không hợp lệ.", nullptr},
    {"bad_response_signature", 0, "Chữ ký trong câu trả lời của máy chủ trung tâm không hợp lệ.", nullptr},
    {"batch_too_large", 0, "Gói dữ liệu đồng bộ quá lớn.", nullptr},
    {"entry_too_large", 0, "Một bản ghi của sổ nhật ký quá lớn.", nullptr},
    {"malformed_entry", 0, "Một bản ghi của sổ nhật ký không đúng định dạng.", nullptr},
    {"bad_signature", 0, "Chữ ký số của một bản ghi không hợp lệ.", nullptr},
    {"seq_gap", 0, "Các bản ghi của sổ nhật ký bị thiếu số thứ tự.", nullptr},
    {"broken_chain", 0, "Chuỗi bản ghi của sổ nhật ký bị đứt (mã băm không khớp).", nullptr},
    {"unknown_parent", 0, "Một bản ghi tham chiếu tới bản ghi chưa có.", nullptr},
    {"unknown_author", 0, "Một bản ghi đến từ nút chưa được biết.", nullptr},
    {"equivocation", 0, "Một nút đã ký hai bản ghi khác nhau cùng số thứ tự; đây là cảnh báo an ninh.", nullptr},
    {"fork_detected", 0, "Sổ nhật ký của điểm này bị rẽ nhánh: máy chủ trung tâm giữ một bản ghi khác cùng số thứ tự "
                         "(một bản sao dữ liệu đã tiếp nhận hồ sơ). Đồng bộ bị dừng; quản trị viên máy chủ trung tâm "
                         "phải xem xét cảnh báo.", nullptr},
    {"stale_chain", 0, "Máy chủ trung tâm giữ sổ nhật ký của điểm này mới hơn bản tại điểm; hãy khôi phục từ máy chủ "
                       "trung tâm.", nullptr},
    {"bad_receipt", 0, "Biên nhận của máy chủ trung tâm không hợp lệ.", nullptr},
    {"bad_cursor", 0, "Vị trí đồng bộ do máy chủ trung tâm gửi không hợp lệ.", nullptr},
    {"sequence_exhausted", 0, "Đã hết số thứ tự hồ sơ của ngày này tại cơ quan tiếp nhận.", nullptr},
    {"blob_not_in_scope", 0, "Tệp đính kèm không thuộc phạm vi của điểm này.", nullptr},
    {"blob_not_held", 0, "Máy chủ trung tâm không giữ tệp đính kèm này.", nullptr},
    {"blob_too_large", 0, "Tệp đính kèm quá lớn.", nullptr},
    {"blob_mismatch", 0, "Nội dung tệp đính kèm không khớp với mã của nó.", nullptr},
    {"bad_ack", 0, "Xác nhận của máy chủ trung tâm về tệp đính kèm không hợp lệ.", nullptr},
    {"bad_chunk", 0, "Một phần tệp đính kèm nhận được không hợp lệ.", nullptr},
    {"malformed_bundle", 0, "Tệp gói đồng bộ (USB) không đúng định dạng.", nullptr},
    // Setting up and starting a node (mostly the command line).
    {"not_initialised", 0, "Thư mục dữ liệu chưa được khởi tạo (cần chạy: motcua init).", nullptr},
    {"already_initialised", 0, "Thư mục dữ liệu đã được khởi tạo.", nullptr},
    {"already_running", 0, "Một tiến trình motcua serve khác đang chạy trên thư mục dữ liệu này.", nullptr},
    {"listen_failed", 0, "Không mở được cổng để phục vụ (địa chỉ đang được dùng hoặc không thuộc máy này).", nullptr},
    {"tls_failed", 0, "Không nạp được chứng chỉ HTTPS.", nullptr},
    // Backups (motcua backup / restore).
    {"backup_target_exists", 0, "Tệp sao lưu đã tồn tại; không ghi đè, hãy chọn tên khác.", nullptr},
    {"backup_invalid", 0, "Tệp sao lưu bị hỏng, không đầy đủ hoặc không phải là bản sao lưu của motcua.", nullptr},
    {"data_dir_not_empty", 0, "Thư mục dữ liệu không trống; chỉ khôi phục vào một thư mục mới hoặc trống.", nullptr},
    {"wrong_role", 0, "Lệnh này không chạy trên loại nút này.", nullptr},
    {"key_mismatch", 0, "Tệp khóa không thuộc về cơ sở dữ liệu này.", nullptr},
    {"key_file_exists", 0, "Tệp khóa đã tồn tại.", nullptr},
    {"corrupt_key_file", 0, "Tệp khóa bị hỏng.", nullptr},
    {"insecure_key_file", 0, "Tệp khóa có quyền truy cập không an toàn (cần chmod 600).", nullptr},
    {"passphrase_required", 0, "Cần cụm mật khẩu để mở tệp khóa.", nullptr},
    {"wrong_passphrase", 0, "Sai cụm mật khẩu của tệp khóa.", nullptr},
    {"file_too_large", 0, "Tệp quá lớn.", nullptr},
    {"schema_too_new", 0, "Cơ sở dữ liệu thuộc một phiên bản motcua mới hơn; hãy nâng cấp chương trình.", nullptr},
    {"schema_too_old", 0, "Cơ sở dữ liệu cần được nâng cấp; hãy mở nó một lần ở chế độ ghi.", nullptr},
    {"no_attempt", 0, "Chưa có lần đồng bộ nào được thực hiện.", nullptr},
    {"none", 0, "Không có kết quả.", nullptr},
};

// A clearer sentence for a code on one field. The field matches when it is
// the key (indices like [0] removed), or ends with it for a key "*.x".
struct PairRow {
  const char* code;
  const char* field;
  const char* vi;  // may use {field}
};

const PairRow kPairs[] = {
    {"validation_failed", "procedures", "Danh mục thủ tục có mục không hợp lệ nên chưa nhập mục nào; xem danh sách lỗi "
                                        "của từng mục."},
    {"invalid_value", "*.cccd", "{field} phải gồm đúng 12 chữ số, ba chữ số đầu là mã tỉnh (từ 001 đến 096)."},
    {"invalid_value", "*.phone", "{field} phải gồm 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09 (hoặc +84 và 9 chữ số)."},
    {"invalid_value", "*.email", "{field} không đúng dạng địa chỉ thư điện tử (ví dụ: ten@tenmien.vn)."},
    {"invalid_value", "*.date_of_birth", "{field} phải là một ngày có thật, viết theo dạng YYYY-MM-DD."},
    {"invalid_value", "channel", "{field} phải là counter (tại quầy), postal (qua bưu chính) hoặc online (trực tuyến)."},
    {"invalid_value", "new_due_at", "{field} phải là một thời điểm ISO 8601 (ví dụ 2025-07-08T10:00:00+07:00), sau ngày "
                                    "hẹn hiện tại và sau thời điểm hiện tại."},
    {"invalid_value", "since", "{field} phải có dạng YYYY-MM-DD hoặc YYYY-MM-DDTHH:MM kèm múi giờ (Z hoặc +07:00)."},
    {"invalid_value", "qr", "Không đọc được {field}: cần 7 trường cách nhau bởi dấu | (số CCCD, số CMND cũ, họ tên, ngày "
                            "sinh, giới tính, địa chỉ, ngày cấp), với số CCCD và ngày sinh hợp lệ."},
    {"invalid_value", "attachments", "{field} không hợp lệ: phải là mã của một tệp đã tải lên (tối đa 100 tệp)."},
    {"invalid_value", "recipient.authorization", "{field} phải ghi số, ngày của giấy ủy quyền hoặc là mã của tệp giấy "
                                                 "ủy quyền đã tải lên."},
    {"invalid_value", "name", "{field} phải gồm 1 đến 64 ký tự: chữ cái không dấu, chữ số, dấu '-', '_' hoặc '.'."},
    {"invalid_value", "daily_capacity", "{field} phải là số nguyên từ 1 đến 9999."},
    {"invalid_value", "limit", "{field} phải là một số nguyên trong khoảng cho phép."},
    {"invalid_value", "result", "{field} phải là ok hoặc failed."},
    {"missing_field", "recipient.relation", "Người nhận không phải người nộp hồ sơ: cần ghi rõ quan hệ với người nộp "
                                            "hồ sơ."},
    {"missing_field", "recipient.authorization", "Người nhận không phải người nộp hồ sơ: cần giấy ủy quyền (số, ngày của "
                                                 "giấy hoặc tệp đính kèm)."},
    {"missing_field", "missing", "Cần ghi rõ các giấy tờ công dân phải bổ sung."},
    {"too_large", "body", "Nội dung gửi lên quá lớn."},
    {"too_large", "form", "Nội dung tờ khai quá lớn (tối đa 32 KiB); hãy đính kèm tài liệu dưới dạng tệp."},
    {"not_found", "code", "Không tìm thấy hồ sơ hoặc thủ tục có mã này."},
    {"not_found", "id", "Không tìm thấy mục có mã định danh này."},
    {"not_found", "name", "Không tìm thấy điểm phục vụ có tên này."},
    {"not_found", "point", "Không tìm thấy điểm phục vụ có tên này."},
    {"not_found", "action", "Thao tác này không tồn tại."},
    {"not_found", "username", "Không tìm thấy người dùng này."},
    {"conflict", "name", "Điểm phục vụ này đã được ghi danh, đã bị thu hồi hoặc đã được đăng ký với thông tin khác."},
    // Users and sign-in (docs/design/0050-0052).
    {"invalid_value", "username", "{field} phải gồm 1 đến 64 ký tự: chữ cái không dấu, chữ số, dấu '-', '_' hoặc '.'."},
    {"invalid_value", "password", "{field} phải có ít nhất 8 ký tự và không quá 1024 byte."},
    {"invalid_value", "full_name", "{field} dài tối đa 100 ký tự và không được chứa ký tự điều khiển."},
    {"invalid_value", "role", "{field} phải là clerk (cán bộ một cửa), postal (nhân viên bưu điện), officer (cán bộ xử "
                              "lý) hoặc admin (quản trị viên)."},
    {"conflict", "username", "Không thể vô hiệu hóa tài khoản này: không được tự vô hiệu hóa tài khoản của mình, và phải "
                             "còn ít nhất một quản trị viên đang hoạt động."},
    {"conflict", "role", "Không thể đổi vai trò: phải còn ít nhất một quản trị viên đang hoạt động."},
    {"forbidden", "username", "Tài khoản này đã bị vô hiệu hóa; hãy liên hệ quản trị viên."},
    {"csrf_failed", "X-CSRF-Token", "Thiếu hoặc sai mã chống giả mạo yêu cầu (X-CSRF-Token); hãy tải lại trang rồi thử "
                                    "lại."},
    {"csrf_failed", "Origin", "Yêu cầu được gửi từ một trang web khác nên bị từ chối."},
    {"conflict", "id", "Xung đột này đã được giải quyết."},
};

// Request fields by the names people know from the forms and screens.
// Looked up by the whole path (indices removed), then by its last part.
const std::pair<const char*, const char*> kFields[] = {
    {"procedure_code", "Mã thủ tục"},
    {"applicant", "Thông tin người nộp hồ sơ"},
    {"applicant.full_name", "Họ và tên"},
    {"applicant.cccd", "Số CCCD"},
    {"applicant.phone", "Số điện thoại"},
    {"applicant.email", "Email"},
    {"applicant.address", "Địa chỉ"},
    {"applicant.date_of_birth", "Ngày sinh"},
    {"channel", "Kênh tiếp nhận"},
    {"postal", "Thông tin bưu chính"},
    {"postal.dossier_by_post", "Nộp hồ sơ qua bưu chính"},
    {"postal.result_by_post", "Nhận kết quả qua bưu chính"},
    {"postal.delivery_address", "Địa chỉ nhận kết quả"},
    {"form", "Nội dung tờ khai"},
    {"attachments", "Tệp đính kèm"},
    {"documents", "Thành phần hồ sơ"},
    {"fees", "Phí, lệ phí"},
    {"amount_vnd", "Số tiền (đồng)"},
    {"receipt_no", "Số biên lai"},
    {"note", "Ghi chú"},
    {"return_point", "Nơi trả kết quả"},
    {"reason", "Lý do"},
    {"missing", "Giấy tờ cần bổ sung"},
    {"new_due_at", "Ngày hẹn trả mới"},
    {"recipient", "Người nhận kết quả"},
    {"recipient.full_name", "Họ và tên người nhận"},
    {"recipient.cccd", "Số CCCD người nhận"},
    {"recipient.relation", "Quan hệ với người nộp hồ sơ"},
    {"recipient.authorization", "Giấy ủy quyền"},
    {"place", "Nơi giao kết quả"},
    {"address", "Địa chỉ giao"},
    {"decision", "Quyết định xử lý"},
    {"full_name", "Họ và tên"},
    {"cccd", "Số CCCD"},
    {"phone", "Số điện thoại"},
    {"email", "Email"},
    {"date_of_birth", "Ngày sinh"},
    {"username", "Tên đăng nhập"},
    {"password", "Mật khẩu"},
    {"role", "Vai trò"},
    {"code", "Mã"},
    {"id", "Mã định danh"},
    {"status", "Trạng thái hồ sơ"},
    {"body", "Nội dung gửi lên"},
    {"content", "Nội dung tệp"},
    {"name", "Tên"},
    {"area", "Địa bàn"},
    {"daily_capacity", "Số hồ sơ mỗi ngày"},
    {"lease_days", "Số ngày giữ số hồ sơ trước"},
    {"expires_hours", "Thời hạn của mã ghi danh"},
    {"place_name", "Tên điểm phục vụ"},
    {"agency_code", "Mã cơ quan tiếp nhận"},
    {"acts", "Việc điểm được ký"},
    {"point", "Điểm phục vụ"},
    {"since", "Thời điểm bắt đầu"},
    {"limit", "Số dòng tối đa"},
    {"result", "Kết quả đồng bộ"},
    {"cursor", "Vị trí trang"},
    {"updated_since", "Thời điểm cập nhật"},
    {"q", "Từ khóa tìm kiếm"},
    {"qr", "Mã QR CCCD"},
    {"action", "Thao tác"},
    {"hub_url", "Địa chỉ máy chủ trung tâm"},
    {"journal", "Sổ nhật ký"},
    {"year", "Năm"},
    {"date", "Ngày"},
    {"holidays", "Ngày nghỉ lễ"},
    {"makeup_days", "Ngày làm bù"},
    {"procedures", "Danh mục thủ tục"},
    {"level", "Mức độ"},
    {"field", "Lĩnh vực"},
};
// clang-format on

const CodeRow* find_code(const std::string& code) {
  for (const auto& r : kCodes)
    if (code == r.code) return &r;
  return nullptr;
}

// "fees[0].amount_vnd" -> "fees.amount_vnd", first index 0.
std::string strip_indices(const std::string& field, long& first_index) {
  std::string out;
  first_index = -1;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '[') {
      size_t close = field.find(']', i);
      if (close == std::string::npos) break;
      if (first_index < 0) {
        first_index = 0;
        for (size_t k = i + 1; k < close && k < i + 7; ++k)
          if (field[k] >= '0' && field[k] <= '9') first_index = first_index * 10 + (field[k] - '0');
      }
      i = close;
      continue;
    }
    out.push_back(field[i]);
  }
  return out;
}

const char* find_field(const std::string& path) {
  for (const auto& [k, v] : kFields)
    if (path == k) return v;
  return nullptr;
}

bool field_matches(const std::string& key, const std::string& path) {
  if (key.rfind("*.", 0) == 0) {
    const std::string tail = key.substr(1);  // ".cccd"
    return path == key.substr(2) ||
           (path.size() > tail.size() && path.compare(path.size() - tail.size(), tail.size(), tail) == 0);
  }
  return path == key;
}

std::string fill(const char* text, const std::string& label) {
  std::string s = text;
  const std::string ph = "{field}";
  for (size_t at = s.find(ph); at != std::string::npos; at = s.find(ph, at + label.size())) s.replace(at, ph.size(), label);
  return s;
}

}  // namespace

int http_status(const Error& e) {
  const CodeRow* r = find_code(e.code);
  return r && r->status ? r->status : 500;
}

std::string field_label(const std::string& field) {
  if (field.empty()) return {};
  long index = -1;
  const std::string path = strip_indices(field, index);
  const char* label = find_field(path);
  if (!label) {
    size_t dot = path.rfind('.');
    if (dot != std::string::npos) label = find_field(path.substr(dot + 1));
  }
  std::string out;
  if (label) {
    out = label;
  } else {
    size_t dot = path.find('.');
    const char* whole = dot == std::string::npos ? nullptr : find_field(path.substr(0, dot));
    out = whole ? std::string(whole) + " (“" + field + "”)" : "“" + field + "”";
    return out;
  }
  if (index >= 0) out += " (mục thứ " + std::to_string(index + 1) + ")";
  return out;
}

std::string vietnamese_message(const Error& e) {
  const std::string label = field_label(e.field);
  if (!e.field.empty()) {
    long index = -1;
    const std::string path = strip_indices(e.field, index);
    for (const auto& p : kPairs)
      if (e.code == p.code && field_matches(p.field, path)) return fill(p.vi, label);
  }
  // The documents' names are Vietnamese already (from the catalogue): the
  // sentence names them, as the clerk must see which paper is missing.
  if (e.code == "missing_document") {
    const size_t colon = e.message.find(": ");
    if (colon != std::string::npos) return "Thiếu giấy tờ bắt buộc của thủ tục: " + e.message.substr(colon + 2) + ".";
  }
  if (const CodeRow* r = find_code(e.code)) {
    if (!e.field.empty() && r->vi_field) return fill(r->vi_field, label);
    return r->vi;
  }
  if (e.code.rfind("http_", 0) == 0)
    return "Yêu cầu không thực hiện được (HTTP " + e.code.substr(5) + ").";
  std::string s = "Yêu cầu không thực hiện được (mã lỗi " + e.code + ")";
  if (!e.field.empty()) s += "; trường liên quan: " + label;
  return s + ".";
}

Json error_json(const Error& e) {
  Json err{{"code", e.code}, {"message", vietnamese_message(e)}, {"message_en", e.message}};
  if (!e.field.empty()) err["field"] = e.field;
  return Json{{"error", err}};
}

const std::vector<ErrorCodeText>& error_code_table() {
  static const std::vector<ErrorCodeText> table = [] {
    std::vector<ErrorCodeText> t;
    for (const auto& r : kCodes) t.push_back({r.code, r.status, r.vi, r.vi_field ? r.vi_field : r.vi});
    return t;
  }();
  return table;
}

std::vector<std::string> known_field_names() {
  std::vector<std::string> out;
  for (const auto& [k, v] : kFields) out.emplace_back(k);
  return out;
}

}  // namespace motcua::http
