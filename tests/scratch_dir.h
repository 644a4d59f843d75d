// Per-process scratch directories for tests, removed when the test process exits normally.
// ctest runs every test in its own process (gtest_discover_tests), so a temp directory made per
// process and left behind is one more entry in /tmp per test: thousands per suite run.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace trit::testing {

namespace detail {

// The directories scratch_dir() made; its destructor (static destruction, at exit()) removes those
// this process made, so a forked child that exits does not delete its parent's files. Never throws.
class ScratchRegistry {
 public:
  ScratchRegistry() = default;
  ScratchRegistry(const ScratchRegistry&) = delete;
  ScratchRegistry& operator=(const ScratchRegistry&) = delete;
  ~ScratchRegistry() {
    const pid_t self = ::getpid();
    for (const auto& [pid, dir] : dirs_) {
      if (pid != self) continue;
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }

  void add(const std::filesystem::path& dir) {
    const pid_t self = ::getpid();
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [pid, d] : dirs_)
      if (pid == self && d == dir) return;
    dirs_.emplace_back(self, dir);
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<pid_t, std::filesystem::path>> dirs_;
};

inline ScratchRegistry& scratch_registry() {
  static ScratchRegistry registry;
  return registry;
}

}  // namespace detail

// temp_directory_path()/"<prefix>-<pid>", created if missing (on every call, so a test may remove
// it) and removed recursively when this process exits normally.
inline std::filesystem::path scratch_dir(const std::string& prefix) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / (prefix + "-" + std::to_string(::getpid()));
  detail::scratch_registry().add(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace trit::testing
