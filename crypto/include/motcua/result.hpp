// One error type at every module boundary, and the Result<T> that carries it.
// The same shape becomes the HTTP error JSON: {"error": {code, message, field}}.
#pragma once
#include <string>
#include <utility>
#include <variant>

namespace motcua {

struct Error {
  std::string code;     // snake_case, stable, for scripts (e.g. "bad_signature")
  std::string message;  // human text, may be Vietnamese UTF-8
  std::string field;    // path.to.field when one field is at fault, else empty
};

inline Error make_error(std::string code, std::string message, std::string field = {}) {
  return Error{std::move(code), std::move(message), std::move(field)};
}

// Result<T>: either a value or an Error. Callers check ok() before value().
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}      // NOLINT: implicit by design
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Status(Ok{}); }

}  // namespace motcua
