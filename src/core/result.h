// Result<T>: the value or an Error with a message naming what was wrong and where.
// Bad input (files, flags) returns an Error; bugs abort via TRIT_ASSERT (core/assert.h).
// C++20 has no std::expected, so this is the small stand-in.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace trit {

struct Error {
  std::string message;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Status: success or an Error (Result<void>).
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

inline Error make_error(std::string message) { return Error{std::move(message)}; }

}  // namespace trit

// Propagate an error from an expression returning Status or Result<T>.
#define TRIT_TRY(expr)                              \
  do {                                              \
    auto trit_try_status_ = (expr);                 \
    if (!trit_try_status_.ok()) return trit_try_status_.error(); \
  } while (0)
