// Error policy (docs/errors.md): user mistakes throw tf::Error with a message that names the file,
// line, key or request at fault; broken invariants fail a TF_CHECK, which prints both operands and
// the source location. Both are exceptions so that a rank can report and the job can exit non-zero.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace tf {

// A user-facing failure: bad config, data, checkpoint or request.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The run stopped itself because training went wrong (a run of non-finite steps); resuming as it
// was would do the same. Exit status 7 (docs/errors.md).
class RunDiverged : public Error {
 public:
  using Error::Error;
};

// A broken internal invariant (a bug, not a user mistake).
class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

namespace detail {

template <typename... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

[[noreturn]] void check_failed(const char* file, int line, const char* expr,
                               const std::string& detail);

}  // namespace detail
}  // namespace tf

// TF_CHECK(cond, "context", value, ...) throws tf::InternalError with file:line.
#define TF_CHECK(cond, ...)                                                                     \
  do {                                                                                          \
    if (!(cond))                                                                                \
      ::tf::detail::check_failed(__FILE__, __LINE__, #cond, ::tf::detail::concat(__VA_ARGS__)); \
  } while (0)

#define TF_CHECK_OP_(a, b, op)                                                            \
  do {                                                                                    \
    const auto& tf_check_a_ = (a);                                                        \
    const auto& tf_check_b_ = (b);                                                        \
    if (!(tf_check_a_ op tf_check_b_))                                                    \
      ::tf::detail::check_failed(__FILE__, __LINE__, #a " " #op " " #b,                   \
                                 ::tf::detail::concat(tf_check_a_, " vs ", tf_check_b_)); \
  } while (0)

#define TF_CHECK_EQ(a, b) TF_CHECK_OP_(a, b, ==)
#define TF_CHECK_NE(a, b) TF_CHECK_OP_(a, b, !=)
#define TF_CHECK_LT(a, b) TF_CHECK_OP_(a, b, <)
#define TF_CHECK_LE(a, b) TF_CHECK_OP_(a, b, <=)
#define TF_CHECK_GT(a, b) TF_CHECK_OP_(a, b, >)
#define TF_CHECK_GE(a, b) TF_CHECK_OP_(a, b, >=)
