// -DTRIT_FFI=OFF: crossval is built with no reference loader at all (no dlopen, no shim ABI).
// Every lane is then unavailable, and says why, so the build and STUB behaviour stay testable on
// machines where loading shared libraries is not wanted.
#include "crossval/ref/reference.h"

namespace trit::crossval {

bool ffi_enabled() { return false; }

RefLoad load_reference(Lane lane, const std::string& explicit_dir) {
  RefLoad out;
  out.where = locate_lane(lane, explicit_dir);
  out.reason = "this trit was built with -DTRIT_FFI=OFF: it contains no reference loader";
  out.fix = "rebuild with -DTRIT_FFI=ON (the default), then run `trit setup-cpp --lane " +
            std::string(lane_name(lane)) + "`";
  return out;
}

}  // namespace trit::crossval
