#include "core/build_info.h"

#include "trit_git_sha.h"  // generated at build time (cmake/git_sha.cmake)

namespace trit {

const char* build_git_sha() { return TRIT_GIT_SHA; }

}  // namespace trit
