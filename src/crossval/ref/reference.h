// The Reference interface: a reference engine (llama.cpp, bitnet.cpp) as crossval sees it.
// Implemented by dlopen of a lane shim (dlopen_reference.cpp, shim/trit_ref.h); with
// -DTRIT_FFI=OFF by no_ffi.cpp, which loads nothing and says so. crossval talks to references
// only through this header.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "crossval/engine.h"

namespace trit::crossval {

enum class Lane { kLlama, kBitnet };  // Lane B: llama.cpp; Lane A: bitnet.cpp
std::string_view lane_name(Lane lane);  // "llama", "bitnet"
Result<Lane> lane_from_name(std::string_view name);

struct ReferenceInfo {
  std::string name;         // "llama.cpp"
  std::string version;      // pinned packaging version
  std::string commit;       // upstream commit
  std::string library;      // absolute path of the reference library actually loaded
  std::string shim;         // absolute path of the shim
  std::string system_info;  // the reference's own feature line
};

// One intermediate tensor of the reference graph: name as in its graph ("attn_norm-3"),
// ne[0] fastest, data valid only during the callback.
using RefTraceFn = std::function<void(std::string_view name, const float* data, const int64_t ne[4])>;

// A greedy decode with its two phases timed inside the reference (trit bench -d).
struct TimedGreedy {
  std::vector<int32_t> tokens;
  double prompt_seconds = 0.0;  // the prompt's batch evaluation
  double decode_seconds = 0.0;  // the n - 1 single-token evaluations after it
};

class RefModel : public Engine {
 public:
  // eval_all, and also every named F32/F16 intermediate tensor in graph order (issue 9).
  virtual Result<std::vector<float>> eval_trace(std::span<const int32_t> tokens, const RefTraceFn& fn) = 0;
  // greedy(prompt, n), timed (trit_ref_greedy_timed); an error naming the fix when the shim was
  // built before that function existed.
  virtual Result<TimedGreedy> greedy_timed(std::span<const int32_t> prompt, int n) = 0;
};

struct RefOpenOptions {
  int n_ctx = 0;       // 0: min(4096, model's training context)
  int n_threads = 0;   // 0: all cores
  bool vocab_only = false;
  bool kv_f32 = false;  // F16 KV cache (llama.cpp's default, and trit's) unless set
};

class Reference {
 public:
  virtual ~Reference() = default;
  virtual const ReferenceInfo& info() const = 0;
  virtual Result<std::unique_ptr<RefModel>> open(const std::string& model_path, const RefOpenOptions& opts) = 0;
};

// Where a lane's shim was looked for and found (or not). Pure path logic; exists in no-FFI builds.
struct LaneLocation {
  Lane lane = Lane::kLlama;
  std::string dir;      // the lane directory chosen (may not exist)
  std::string source;   // "--ref-dir", "TRIT_LLAMA_CPP_DIR", "BITNET_CPP_DIR" or "cache"
  std::string shim;     // the shim library path if found, else ""
  std::vector<std::string> searched;  // every path tried, in order
};
LaneLocation locate_lane(Lane lane, const std::string& explicit_dir = "");
std::string default_cache_dir();  // ${TRIT_CACHE_DIR:-$HOME/.cache/trit}
std::string shim_file_name(Lane lane);  // libtrit_ref_llama.so

// A loaded reference, or why not. Never throws; a missing reference is a normal outcome (STUB).
struct RefLoad {
  std::unique_ptr<Reference> ref;  // null when unavailable
  LaneLocation where;
  std::string reason;  // why unavailable: names the path and what was expected
  std::string fix;     // the command that fixes it
};
RefLoad load_reference(Lane lane, const std::string& explicit_dir = "");

bool ffi_enabled();  // false in a -DTRIT_FFI=OFF build

}  // namespace trit::crossval
