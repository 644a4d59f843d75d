// What this binary was built from, for receipts and --version.
#pragma once

namespace trit {

// The source tree's commit when this binary was last built (12 hex digits, "-dirty" when tracked
// files had uncommitted changes; "unknown" outside a git checkout).
const char* build_git_sha();

}  // namespace trit
