// Run-time discovery of a lane's shim: explicit flag, then the lane's environment variable, then
// the cache. The first of those that is set decides the directory (no silent fall-through, so a
// user who points somewhere learns exactly what is missing there). No dlopen here: this file is
// compiled in no-FFI builds too, for `trit setup-cpp` and for the skip reason.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "crossval/ref/reference.h"

namespace trit::crossval {

std::string_view lane_name(Lane lane) { return lane == Lane::kLlama ? "llama" : "bitnet"; }

Result<Lane> lane_from_name(std::string_view name) {
  if (name == "llama" || name == "llama.cpp" || name == "b") return Lane::kLlama;
  if (name == "bitnet" || name == "bitnet.cpp" || name == "a") return Lane::kBitnet;
  return make_error("--lane: expected llama or bitnet, got '" + std::string(name) + "'");
}

std::string default_cache_dir() {
  if (const char* d = std::getenv("TRIT_CACHE_DIR"); d && *d) return d;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.cache/trit";
}

std::string shim_file_name(Lane lane) {
#ifdef __APPLE__
  const char* ext = ".dylib";
#else
  const char* ext = ".so";
#endif
  return std::string("libtrit_ref_") + std::string(lane_name(lane)) + ext;
}

LaneLocation locate_lane(Lane lane, const std::string& explicit_dir) {
  LaneLocation loc;
  loc.lane = lane;
  const char* env_name = lane == Lane::kLlama ? "TRIT_LLAMA_CPP_DIR" : "BITNET_CPP_DIR";
  const char* env = std::getenv(env_name);
  if (!explicit_dir.empty()) {
    loc.dir = explicit_dir, loc.source = "--ref-dir";
  } else if (env && *env) {
    loc.dir = env, loc.source = env_name;
  } else {
    loc.dir = default_cache_dir() + (lane == Lane::kLlama ? "/llama_cpp" : "/bitnet_cpp");
    loc.source = "cache";
  }
  const std::string name = shim_file_name(lane);
  std::vector<std::string> candidates = {loc.dir + "/shim/" + name, loc.dir + "/" + name};
  // Lane A: BITNET_CPP_DIR names the user's bitnet.cpp checkout, and scripts/build-shim-bitnet.sh
  // (`trit setup-cpp --lane bitnet`) writes the shim built against it into the cache, not into it.
  if (lane == Lane::kBitnet && loc.source == "BITNET_CPP_DIR") {
    candidates.push_back(default_cache_dir() + "/bitnet_cpp/shim/" + name);
  }
  for (const std::string& candidate : candidates) {
    loc.searched.push_back(candidate);
    std::error_code ec;
    if (loc.shim.empty() && std::filesystem::is_regular_file(candidate, ec)) {
      loc.shim = std::filesystem::absolute(candidate, ec).lexically_normal().string();
    }
  }
  return loc;
}

}  // namespace trit::crossval
