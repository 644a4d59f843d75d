// Running the trit binary from a test: argv in, exit status, stdout and stderr out; and the peak
// RSS of the child (wait4's rusage, which counts only that process).
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "scratch_dir.h"

extern char** environ;

namespace trit::reliability {

struct Ran {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out, err;
  long max_rss_kib = 0;
};

inline std::string trit_binary() { return std::string(TRIT_BINARY_DIR) + "/trit"; }

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// Runs argv with extra "NAME=value" environment entries; stdout/stderr through temp files (removed
// once read; their scratch dir, at exit).
inline Ran run(const std::vector<std::string>& argv, const std::vector<std::string>& env_extra = {}) {
  namespace fs = std::filesystem;
  static int counter = 0;
  const fs::path base = trit::testing::scratch_dir("trit-rel-io") / std::to_string(counter++);
  const std::string out_path = base.string() + ".out", err_path = base.string() + ".err";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) envs.emplace_back(*e);
  envs.insert(envs.end(), env_extra.begin(), env_extra.end());
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : envs) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);
  Ran r;
  pid_t pid = 0;
  if (posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), cenv.data()) != 0) {
    r.err = "could not start " + argv[0];
    posix_spawn_file_actions_destroy(&fa);
    return r;
  }
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  r.max_rss_kib = ru.ru_maxrss;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  fs::remove(out_path);
  fs::remove(err_path);
  return r;
}

}  // namespace trit::reliability
