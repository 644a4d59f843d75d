// Runs a shell command for CLI tests and captures its stdout (append " 2>/dev/null" or " 2>&1" to
// the command to drop or keep stderr).
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace trit::test {

struct ShellResult {
  int rc = -1;      // exit status, -1 if it could not run or did not exit normally
  std::string out;  // stdout
};

inline ShellResult run_shell(const std::string& cmd) {
  ShellResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace trit::test
