// The Reference interface over a lane shim loaded with dlopen (shim/trit_ref.h).
// Resolves every trit_ref_* symbol up front and checks the ABI version, so a stale or foreign
// shim is refused with a reason instead of failing half-way through a run.
#include <dlfcn.h>

#include <climits>
#include <cstring>
#include <exception>
#include <memory>
#include <string>

#include "crossval/ref/reference.h"
#include "trit_ref.h"

namespace trit::crossval {
namespace {

struct ShimApi {
  uint32_t (*abi_version)();
  const char* (*name)();
  const char* (*version)();
  const char* (*commit)();
  const char* (*library_path)();
  const char* (*system_info)();
  const char* (*last_error)();
  void (*set_log_level)(int32_t);
  trit_ref_status (*open)(const char*, int32_t, int32_t, uint32_t, trit_ref_model**);
  void (*close)(trit_ref_model*);
  trit_ref_status (*n_vocab)(const trit_ref_model*, int32_t*);
  trit_ref_status (*n_ctx)(const trit_ref_model*, int32_t*);
  trit_ref_status (*tokenize)(const trit_ref_model*, const char*, int32_t, int32_t, int32_t, int32_t*, int32_t,
                              int32_t*);
  trit_ref_status (*eval)(trit_ref_model*, const int32_t*, int32_t, float*, size_t);
  trit_ref_status (*eval_trace)(trit_ref_model*, const int32_t*, int32_t, float*, size_t, trit_ref_trace_fn,
                                void*);
  trit_ref_status (*greedy)(trit_ref_model*, const int32_t*, int32_t, int32_t, int32_t*);
  // Optional (null in shims built before it): trit bench -d only.
  trit_ref_status (*greedy_timed)(trit_ref_model*, const int32_t*, int32_t, int32_t, int32_t*, double*, double*);
};

// Resolves `name` into `fn`; on failure records the first missing symbol.
template <class F>
void resolve(void* handle, const char* name, F& fn, std::string& missing) {
  fn = reinterpret_cast<F>(dlsym(handle, name));
  if (!fn && missing.empty()) missing = name;
}

// The shim's strings are promised non-null; a broken shim must not crash trit with a null.
std::string cstr(const char* s) { return s ? s : ""; }

class ShimModel final : public RefModel {
 public:
  ShimModel(const ShimApi& api, trit_ref_model* m) : api_(api), m_(m) {
    int32_t v = 0, c = 0;
    if (api_.n_vocab(m_, &v) == TRIT_REF_OK) n_vocab_ = v;
    if (api_.n_ctx(m_, &c) == TRIT_REF_OK) n_ctx_ = c;
  }
  ~ShimModel() override { api_.close(m_); }
  ShimModel(const ShimModel&) = delete;
  ShimModel& operator=(const ShimModel&) = delete;

  int n_vocab() const override { return n_vocab_; }
  int n_ctx() const override { return n_ctx_; }

  Result<std::vector<int32_t>> tokenize(std::string_view text, bool add_special, bool parse_special) override {
    if (text.size() > static_cast<size_t>(INT32_MAX)) return make_error("tokenize: text longer than 2 GiB");
    std::vector<int32_t> ids(text.size() + 8);
    int32_t n = 0;
    auto call = [&] {
      return api_.tokenize(m_, text.data(), static_cast<int32_t>(text.size()), add_special, parse_special,
                           ids.data(), static_cast<int32_t>(ids.size()), &n);
    };
    trit_ref_status s = call();
    // The count comes from the reference: check it before it sizes anything.
    if (s == TRIT_REF_ERR_BUFFER) {
      if (n < 0 || static_cast<size_t>(n) > 4 * text.size() + 64) {
        return make_error("reference tokenize asked for a buffer of " + std::to_string(n) + " tokens for " +
                          std::to_string(text.size()) + " bytes of text");
      }
      ids.resize(static_cast<size_t>(n));
      s = call();
    }
    if (s != TRIT_REF_OK) return error("tokenize", s);
    if (n < 0 || static_cast<size_t>(n) > ids.size()) {
      return make_error("reference tokenize returned " + std::to_string(n) + " tokens into a buffer of " +
                        std::to_string(ids.size()));
    }
    ids.resize(static_cast<size_t>(n));
    return ids;
  }

  Result<std::vector<float>> eval_all(std::span<const int32_t> tokens) override {
    std::vector<float> logits(tokens.size() * static_cast<size_t>(n_vocab_));
    trit_ref_status s = api_.eval(m_, tokens.data(), static_cast<int32_t>(tokens.size()), logits.data(), logits.size());
    if (s != TRIT_REF_OK) return error("eval", s);
    return logits;
  }

  Result<std::vector<float>> eval_trace(std::span<const int32_t> tokens, const RefTraceFn& fn) override {
    std::vector<float> logits(tokens.size() * static_cast<size_t>(n_vocab_));
    // The C callback cannot throw across the shim; an exception from fn is parked and rethrown here.
    struct Ctx {
      const RefTraceFn* fn;
      std::exception_ptr error;
    } ctx{&fn, nullptr};
    auto trampoline = [](const char* name, const float* data, const int64_t ne[4], void* user) {
      auto* c = static_cast<Ctx*>(user);
      if (c->error) return;
      try {
        (*c->fn)(name, data, ne);
      } catch (...) {
        c->error = std::current_exception();
      }
    };
    trit_ref_status s = api_.eval_trace(m_, tokens.data(), static_cast<int32_t>(tokens.size()), logits.data(),
                                        logits.size(), trampoline, &ctx);
    if (ctx.error) std::rethrow_exception(ctx.error);
    if (s != TRIT_REF_OK) return error("eval_trace", s);
    return logits;
  }

  Result<std::vector<int32_t>> greedy(std::span<const int32_t> prompt, int n) override {
    std::vector<int32_t> out(static_cast<size_t>(n > 0 ? n : 0));
    trit_ref_status s = api_.greedy(m_, prompt.data(), static_cast<int32_t>(prompt.size()), n, out.data());
    if (s != TRIT_REF_OK) return error("greedy", s);
    return out;
  }

  Result<TimedGreedy> greedy_timed(std::span<const int32_t> prompt, int n) override {
    if (!api_.greedy_timed)
      return make_error("this reference shim predates trit_ref_greedy_timed (timing decode after a context): rebuild it "
                        "with scripts/build-shim.sh");
    TimedGreedy t;
    t.tokens.resize(static_cast<size_t>(n > 0 ? n : 0));
    trit_ref_status s = api_.greedy_timed(m_, prompt.data(), static_cast<int32_t>(prompt.size()), n, t.tokens.data(),
                                          &t.prompt_seconds, &t.decode_seconds);
    if (s != TRIT_REF_OK) return error("greedy", s);
    return t;
  }

 private:
  Error error(const char* what, trit_ref_status s) const {
    return make_error(std::string("reference ") + what + " failed (status " + std::to_string(static_cast<int>(s)) +
                      "): " + cstr(api_.last_error()));
  }
  ShimApi api_;  // a copy: a model may outlive the Reference object that opened it
  trit_ref_model* m_;
  int n_vocab_ = 0;
  int n_ctx_ = 0;
};

class ShimReference final : public Reference {
 public:
  ShimReference(ShimApi api, ReferenceInfo info) : api_(api), info_(std::move(info)) {}
  const ReferenceInfo& info() const override { return info_; }

  Result<std::unique_ptr<RefModel>> open(const std::string& path, const RefOpenOptions& o) override {
    uint32_t flags = (o.vocab_only ? TRIT_REF_OPEN_VOCAB_ONLY : 0u) | (o.kv_f32 ? TRIT_REF_OPEN_KV_F32 : 0u);
    trit_ref_model* m = nullptr;
    trit_ref_status s = api_.open(path.c_str(), o.n_ctx, o.n_threads, flags, &m);
    if (s != TRIT_REF_OK || !m) {
      return make_error(info_.name + " could not open " + path + ": " + cstr(api_.last_error()));
    }
    return std::unique_ptr<RefModel>(std::make_unique<ShimModel>(api_, m));
  }

 private:
  ShimApi api_;
  ReferenceInfo info_;
};

std::string fix_for(const LaneLocation& loc) {
  if (loc.lane == Lane::kBitnet) {
    return "build bitnet.cpp with upstream's instructions (docs/lane-a.md), then build the Lane A shim "
           "against it: `scripts/build-shim.sh --lane bitnet --dir <checkout>` (or `trit setup-cpp --lane "
           "bitnet --dir <checkout>`), and set BITNET_CPP_DIR=<checkout>";
  }
  if (loc.source == "cache") return "run scripts/setup.sh, or `trit setup-cpp --lane llama`";
  return "run `" + std::string(loc.source == "--ref-dir" ? "TRIT_LLAMA_CPP_DIR=" + loc.dir + " " : "") +
         "trit setup-cpp --lane llama` to fetch llama.cpp into " + loc.dir + " and build the shim there, or unset " +
         (loc.source == "--ref-dir" ? "--ref-dir" : loc.source) + " to use the cache";
}

}  // namespace

bool ffi_enabled() { return true; }

RefLoad load_reference(Lane lane, const std::string& explicit_dir) {
  RefLoad out;
  out.where = locate_lane(lane, explicit_dir);
  const LaneLocation& loc = out.where;
  if (loc.shim.empty()) {
    out.reason = "no " + std::string(lane_name(lane)) + " lane shim found (" + loc.source + ": looked for " +
                 loc.searched.front() + ")";
    out.fix = fix_for(loc);
    return out;
  }
  // RTLD_LOCAL keeps the reference's ggml symbols away from anything else in the process.
  void* handle = dlopen(loc.shim.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* e = dlerror();
    out.reason = "could not load " + loc.shim + ": " + (e ? e : "unknown dlopen error");
    out.fix = "rebuild the shim: scripts/build-shim.sh (or `trit setup-cpp --lane " + std::string(lane_name(lane)) +
              "`); if the reference libraries are missing, scripts/fetch-llama-cpp.sh";
    return out;
  }
  // The handle is never dlclose'd: the reference starts threads and registers static destructors
  // that must not outlive their code, and one load per process is all crossval needs.
  ShimApi api{};
  std::string missing;
  resolve(handle, "trit_ref_abi_version", api.abi_version, missing);
  resolve(handle, "trit_ref_name", api.name, missing);
  resolve(handle, "trit_ref_version", api.version, missing);
  resolve(handle, "trit_ref_commit", api.commit, missing);
  resolve(handle, "trit_ref_library_path", api.library_path, missing);
  resolve(handle, "trit_ref_system_info", api.system_info, missing);
  resolve(handle, "trit_ref_last_error", api.last_error, missing);
  resolve(handle, "trit_ref_set_log_level", api.set_log_level, missing);
  resolve(handle, "trit_ref_open", api.open, missing);
  resolve(handle, "trit_ref_close", api.close, missing);
  resolve(handle, "trit_ref_n_vocab", api.n_vocab, missing);
  resolve(handle, "trit_ref_n_ctx", api.n_ctx, missing);
  resolve(handle, "trit_ref_tokenize", api.tokenize, missing);
  resolve(handle, "trit_ref_eval", api.eval, missing);
  resolve(handle, "trit_ref_eval_trace", api.eval_trace, missing);
  resolve(handle, "trit_ref_greedy", api.greedy, missing);
  std::string optional;  // absent from older shims, which stay usable
  resolve(handle, "trit_ref_greedy_timed", api.greedy_timed, optional);
  const std::string rebuild = "rebuild the shim: scripts/build-shim.sh (or `trit setup-cpp --lane " +
                              std::string(lane_name(lane)) + "`)";
  if (!missing.empty()) {
    out.reason = loc.shim + " lacks symbol " + missing + " (not a trit shim, or an older one)";
    out.fix = rebuild;
    return out;
  }
  if (api.abi_version() != TRIT_REF_ABI_VERSION) {
    out.reason = loc.shim + " speaks shim ABI " + std::to_string(api.abi_version()) + ", this trit expects " +
                 std::to_string(TRIT_REF_ABI_VERSION);
    out.fix = rebuild;
    return out;
  }
  ReferenceInfo info{cstr(api.name()),         cstr(api.version()), cstr(api.commit()),
                     cstr(api.library_path()), loc.shim,            cstr(api.system_info())};
  out.ref = std::make_unique<ShimReference>(api, std::move(info));
  return out;
}

}  // namespace trit::crossval
