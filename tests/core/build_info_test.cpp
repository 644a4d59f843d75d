#include "core/build_info.h"

#include <gtest/gtest.h>

#include <string>

#include "shell_command.h"

namespace trit {
namespace {

// The commit is read at build time, so a binary rebuilt after new commits names the new one (it
// used to be fixed when CMake configured the tree). This test binary was built just now.
TEST(BuildInfo, GitShaIsTheCheckoutsCommit) {
  const auto head = test::run_shell("git -C '" TRIT_SOURCE_DIR "' rev-parse --short=12 HEAD 2>/dev/null");
  if (head.rc != 0 || head.out.empty()) GTEST_SKIP() << "not a git checkout";
  const std::string sha = build_git_sha();
  const std::string want = head.out.substr(0, head.out.find('\n'));
  EXPECT_TRUE(sha == want || sha == want + "-dirty") << "binary says " << sha << ", HEAD is " << want
                                                      << " (rebuild after committing?)";
}

}  // namespace
}  // namespace trit
