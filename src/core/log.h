// Human-facing messages go to stderr (stdout is reserved for machine output, CONTRACT.md).
// Level from TRIT_LOG (error|warn|info|debug), default info; progress only on a terminal.
#pragma once

#include <cstdarg>
#include <cstdint>
#include <string>

namespace trit {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

LogLevel log_level();
void set_log_level(LogLevel level);
void log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

#define TRIT_LOG_ERROR(...) ::trit::log(::trit::LogLevel::kError, __VA_ARGS__)
#define TRIT_LOG_WARN(...) ::trit::log(::trit::LogLevel::kWarn, __VA_ARGS__)
#define TRIT_LOG_INFO(...) ::trit::log(::trit::LogLevel::kInfo, __VA_ARGS__)
#define TRIT_LOG_DEBUG(...) ::trit::log(::trit::LogLevel::kDebug, __VA_ARGS__)

bool stderr_is_tty();

// A one-line progress bar on stderr, drawn only when stderr is a terminal; silent otherwise.
class Progress {
 public:
  Progress(std::string label, uint64_t total);
  ~Progress();
  void update(uint64_t done);
  void finish();

 private:
  std::string label_;
  uint64_t total_;
  bool enabled_;
  bool finished_ = false;
  int last_percent_ = -1;
};

}  // namespace trit
