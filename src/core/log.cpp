#include "core/log.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace trit {
namespace {

LogLevel initial_level() {
  const char* env = std::getenv("TRIT_LOG");
  if (!env) return LogLevel::kInfo;
  if (!std::strcmp(env, "error")) return LogLevel::kError;
  if (!std::strcmp(env, "warn")) return LogLevel::kWarn;
  if (!std::strcmp(env, "debug")) return LogLevel::kDebug;
  return LogLevel::kInfo;
}

LogLevel& level_ref() {
  static LogLevel level = initial_level();
  return level;
}

}  // namespace

LogLevel log_level() { return level_ref(); }
void set_log_level(LogLevel level) { level_ref() = level; }

void log(LogLevel level, const char* fmt, ...) {
  if (level > level_ref()) return;
  static const char* kPrefix[] = {"error: ", "warning: ", "", "debug: "};
  std::fputs("trit: ", stderr);
  std::fputs(kPrefix[int(level)], stderr);
  va_list args;
  va_start(args, fmt);
  std::vfprintf(stderr, fmt, args);
  va_end(args);
  std::fputc('\n', stderr);
}

bool stderr_is_tty() { return isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::string label, uint64_t total)
    : label_(std::move(label)), total_(total), enabled_(stderr_is_tty() && total > 0) {}

Progress::~Progress() { finish(); }

void Progress::update(uint64_t done) {
  if (!enabled_ || finished_) return;
  int percent = int(done * 100 / total_);
  if (percent == last_percent_) return;
  last_percent_ = percent;
  const int width = 30;
  int filled = percent * width / 100;
  std::fprintf(stderr, "\r%s [%.*s%*s] %3d%%", label_.c_str(), filled,
               "==============================", width - filled, "", percent);
  std::fflush(stderr);
}

void Progress::finish() {
  if (!enabled_ || finished_) return;
  update(total_);  // draw 100% before marking finished (update() ignores a finished bar)
  finished_ = true;
  std::fputc('\n', stderr);
}

}  // namespace trit
