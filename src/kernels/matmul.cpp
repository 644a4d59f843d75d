// Dispatch (STYLE.md 4): the variant tables, the choice made once per weight type from
// cpu_features() and TRIT_ISA, and matmul() running the chosen variant over the pool.
#include "kernels/matmul.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "core/assert.h"
#include "core/cpu.h"
#include "core/log.h"
#include "core/prefetch.h"
#include "kernels/kernels_neon.h"
#include "kernels/kernels_scalar.h"
#include "kernels/kernels_vnni.h"
#include "kernels/matmul_variants.h"
#include "kernels/repack.h"
#include "quant/formats.h"
#include "quant/i2_s.h"

namespace trit {
namespace {

// Rows of each table in ISA order; the scalar row first and always there.
constexpr std::array kTq2 = {
    MatmulVariant{"matmul_tq2_q8k_ref", Isa::kScalar, scalar::quantize_q8_K, scalar::matmul_rows_vec_dot},
#if TRIT_KERNELS_X86
    MatmulVariant{"matmul_tq2_q8k_avx2", Isa::kAvx2, avx2::quantize_q8_K, avx2::matmul_rows_tq2_q8k},
    MatmulVariant{"matmul_tq2_q8k_vnni", Isa::kAvx512Vnni, avx2::quantize_q8_K, vnni::matmul_rows_tq2_q8k, 0, vnni::x16_rows_tq2_q8k,
                 vnni::x16_rows_tq2_q8k_ggml, vnni::kTernaryOneTokenStreams},
#endif
#if TRIT_KERNELS_NEON
    MatmulVariant{"matmul_tq2_q8k_neon", Isa::kNeon, scalar::quantize_q8_K, neon::matmul_rows_tq2_q8k},
    MatmulVariant{"matmul_tq2_q8k_neondot", Isa::kNeonDot, scalar::quantize_q8_K, neon::matmul_rows_tq2_q8k_dot},
#endif
};
// TQ1_0: no AVX-512 kernel on row-major weights (its unpack, not the dot, is the cost, and the
// 512-bit unpack measured slower than the AVX2 one on Zen 5: 28 vs 30.5 GMAC/s for one token).
// On the 16-row layout, whose bytes are re-encoded for a table lookup (kernels/repack.h), the
// base-3 unpack is two byte permutes, which need VBMI.
constexpr std::array kTq1 = {
    MatmulVariant{"matmul_tq1_q8k_ref", Isa::kScalar, scalar::quantize_q8_K, scalar::matmul_rows_vec_dot},
#if TRIT_KERNELS_X86
    MatmulVariant{"matmul_tq1_q8k_avx2", Isa::kAvx2, avx2::quantize_q8_K, avx2::matmul_rows_tq1_q8k},
    MatmulVariant{"matmul_tq1_q8k_vbmi", Isa::kAvx512Vbmi, avx2::quantize_q8_K, avx2::matmul_rows_tq1_q8k, 0, vnni::x16_rows_tq1_q8k},
#endif
};
// I2_S on AVX-512 VNNI reads the 16-row layout only; on row-major weights it runs the AVX2 kernel
// (a row-major 512-bit kernel measured much slower for decode: 2B4T I2_S, Zen 5, 13.7 vs 18.2 tok/s).
constexpr std::array kI2s = {
    MatmulVariant{"matmul_i2s_i8_ref", Isa::kScalar, scalar::quantize_i8_s, scalar::matmul_rows_i2_s},
#if TRIT_KERNELS_X86
    MatmulVariant{"matmul_i2s_i8_avx2", Isa::kAvx2, avx2::quantize_i8_s, avx2::matmul_rows_i2s_i8},
    MatmulVariant{"matmul_i2s_i8_vnni", Isa::kAvx512Vnni, avx2::quantize_i8_s, avx2::matmul_rows_i2s_i8, 0, vnni::x16_rows_i2s_i8},
#endif
#if TRIT_KERNELS_NEON
    MatmulVariant{"matmul_i2s_i8_neon", Isa::kNeon, scalar::quantize_i8_s, neon::matmul_rows_i2s_i8},
    MatmulVariant{"matmul_i2s_i8_neondot", Isa::kNeonDot, scalar::quantize_i8_s, neon::matmul_rows_i2s_i8_dot},
#endif
};
constexpr std::array kQ8_0 = {
    MatmulVariant{"matmul_q8_0_q8_0_ref", Isa::kScalar, scalar::quantize_q8_0, scalar::matmul_rows_vec_dot},
#if TRIT_KERNELS_X86
    MatmulVariant{"matmul_q8_0_q8_0_avx2", Isa::kAvx2, avx2::quantize_q8_0, avx2::matmul_rows_q8_0_q8_0, 0, avx2::x16_rows_q8_0_q8_0},
    MatmulVariant{"matmul_q8_0_q8_0_vnni", Isa::kAvx512Vnni, avx2::quantize_q8_0, vnni::matmul_rows_q8_0_q8_0, 0, vnni::x16_rows_q8_0_q8_0},
#endif
#if TRIT_KERNELS_NEON
    MatmulVariant{"matmul_q8_0_q8_0_neon", Isa::kNeon, scalar::quantize_q8_0, neon::matmul_rows_q8_0_q8_0},
    MatmulVariant{"matmul_q8_0_q8_0_neondot", Isa::kNeonDot, scalar::quantize_q8_0, neon::matmul_rows_q8_0_q8_0_dot},
#endif
};
constexpr std::array kQ4_0 = {
    MatmulVariant{"matmul_q4_0_q8_0_ref", Isa::kScalar, scalar::quantize_q8_0, scalar::matmul_rows_vec_dot},
#if TRIT_KERNELS_X86
    MatmulVariant{"matmul_q4_0_q8_0_avx2", Isa::kAvx2, avx2::quantize_q8_0, avx2::matmul_rows_q4_0_q8_0, 0, avx2::x16_rows_q4_0_q8_0},
    MatmulVariant{"matmul_q4_0_q8_0_vnni", Isa::kAvx512Vnni, avx2::quantize_q8_0, vnni::matmul_rows_q4_0_q8_0, 0, vnni::x16_rows_q4_0_q8_0},
#endif
#if TRIT_KERNELS_NEON
    MatmulVariant{"matmul_q4_0_q8_0_neon", Isa::kNeon, scalar::quantize_q8_0, neon::matmul_rows_q4_0_q8_0},
    MatmulVariant{"matmul_q4_0_q8_0_neondot", Isa::kNeonDot, scalar::quantize_q8_0, neon::matmul_rows_q4_0_q8_0_dot},
#endif
};
constexpr std::array kF16 = {
    MatmulVariant{"matmul_f16_f16_ref", Isa::kScalar, scalar::quantize_f16, scalar::matmul_rows_vec_dot},
#if TRIT_KERNELS_X86
    MatmulVariant{"matmul_f16_f16_avx2", Isa::kAvx2, avx2::quantize_f16_f32, avx2::matmul_rows_f16_f16, 4},
    // AVX-512: the AVX2 kernel on row-major weights, a 16-rows-per-register one on the 16-row layout.
    MatmulVariant{"matmul_f16_f16_avx512", Isa::kAvx512Vnni, avx2::quantize_f16_f32, avx2::matmul_rows_f16_f16, 4, vnni::x16_rows_f16_f16},
#endif
#if TRIT_KERNELS_NEON
    MatmulVariant{"matmul_f16_f16_neon", Isa::kNeon, neon::quantize_f16_f32, neon::matmul_rows_f16_f16, 4},
#endif
};
// Q6_K on AVX2: exact int32 lanes by element % 8 and the reference's lane-wise float epilogue
// (kernels/matmul_q6k_avx2.cpp), so it equals quant/'s vec_dot bit for bit.
constexpr std::array kQ6K = {
    MatmulVariant{"matmul_q6_k_q8k_ref", Isa::kScalar, scalar::quantize_q8_K, scalar::matmul_rows_vec_dot},
#if TRIT_KERNELS_X86
    MatmulVariant{"matmul_q6_k_q8k_avx2", Isa::kAvx2, avx2::quantize_q8_K, avx2::matmul_rows_q6_k_q8k},
#endif
};
// Types without a dedicated kernel still go through the reference vec_dot.
constexpr std::array kGeneric = {
    MatmulVariant{"matmul_vec_dot_ref", Isa::kScalar, nullptr, scalar::matmul_rows_vec_dot},
};

// TRIT_ISA caps the ISA dispatch may use: "scalar"; "avx2" (no AVX-512 kernels) or "neon" (no
// dot-product kernels), each the base SIMD level of its architecture; unset: the best.
enum class IsaCap { kScalar, kBaseSimd, kAll };
IsaCap isa_cap() {
  static const IsaCap cap = [] {
    const char* e = std::getenv("TRIT_ISA");
    if (e != nullptr && std::strcmp(e, "scalar") == 0) return IsaCap::kScalar;
    if (e != nullptr && (std::strcmp(e, "avx2") == 0 || std::strcmp(e, "neon") == 0)) return IsaCap::kBaseSimd;
    return IsaCap::kAll;
  }();
  return cap;
}

bool isa_allowed(Isa isa) {
  switch (isa_cap()) {
    case IsaCap::kScalar: return isa == Isa::kScalar;
    case IsaCap::kBaseSimd: return isa == Isa::kScalar || isa == Isa::kAvx2 || isa == Isa::kNeon;
    case IsaCap::kAll: return true;
  }
  return false;
}

// Quantizes with the type's reference quantizer (for kGeneric, whose rows have none).
void quantize_generic(TensorType type, const float* x, uint8_t* out, int64_t n) {
  const auto* traits = quant::format_traits(type);
  const auto* act = quant::format_traits(traits->vec_dot_type);
  TRIT_ASSERT(act && act->quantize_row);
  act->quantize_row(x, out, n);
}

// The choice for every type, made once and logged once.
struct KernelSet {
  std::array<const MatmulVariant*, 64> chosen{};
  KernelSet() {
    for (const auto& f : quant::formats()) {
      const auto id = size_t(f.type);
      if (id >= chosen.size()) continue;
      const MatmulVariant* pick = nullptr;
      for (const auto& v : matmul_variants(f.type))
        if (isa_supported(v.isa)) pick = &v;
      chosen[id] = pick;
      if (pick != nullptr)
        TRIT_LOG_DEBUG("kernels: %s -> %s", std::string(f.name).c_str(), std::string(pick->name).c_str());
    }
    Isa best = Isa::kScalar;
    for (Isa isa : {Isa::kAvx2, Isa::kAvx512Vnni, Isa::kAvx512Vbmi, Isa::kNeon, Isa::kNeonDot})
      if (isa_supported(isa)) best = isa;
    TRIT_LOG_DEBUG("kernels: isa %s (cpu: %s)%s", std::string(isa_name(best)).c_str(), cpu_features_string().c_str(),
                   std::getenv("TRIT_ISA") != nullptr ? " [TRIT_ISA set]" : "");
  }
};

const KernelSet& kernel_set() {
  static const KernelSet set;
  return set;
}

}  // namespace

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512Vnni: return "avx512vnni";
    case Isa::kAvx512Vbmi: return "avx512vbmi";
    case Isa::kNeon: return "neon";
    case Isa::kNeonDot: return "neondot";
  }
  return "?";
}

bool isa_available(Isa isa) {
#if TRIT_KERNELS_X86
  constexpr bool kX86Built = true;
#else
  constexpr bool kX86Built = false;
#endif
#if TRIT_KERNELS_NEON
  constexpr bool kNeonBuilt = true;
#else
  constexpr bool kNeonBuilt = false;
#endif
  const auto& f = cpu_features();
  const bool avx2 = kX86Built && f.avx2 && f.fma && f.f16c;
  switch (isa) {
    case Isa::kScalar: return true;
    case Isa::kAvx2: return avx2;
    case Isa::kAvx512Vnni: return avx2 && f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni;
    case Isa::kAvx512Vbmi: return isa_available(Isa::kAvx512Vnni) && f.avx512vbmi && f.gfni;
    // The kernels of an ISA exist only in builds for its architecture (kernels/CMakeLists.txt).
    case Isa::kNeon: return kNeonBuilt && f.neon;
    case Isa::kNeonDot: return kNeonBuilt && f.neon && f.dotprod;
  }
  return false;
}

bool isa_supported(Isa isa) { return isa_allowed(isa) && isa_available(isa); }

int64_t act_row_bytes(TensorType type, int64_t cols) {
  if (type == TensorType::I2_S) return int64_t(sizeof(I8ActHeader)) + cols;
  const auto* traits = quant::format_traits(type);
  TRIT_ASSERT(traits);
  const auto* act = quant::format_traits(traits->vec_dot_type);
  TRIT_ASSERT(act);
  return cols / act->block_size * act->type_size;
}

int64_t act_row_bytes(const MatmulVariant& v, TensorType type, int64_t cols) {
  return v.act_value_bytes > 0 ? cols * v.act_value_bytes : act_row_bytes(type, cols);
}

std::span<const MatmulVariant> matmul_variants(TensorType type) {
  switch (type) {
    case TensorType::TQ2_0: return kTq2;
    case TensorType::TQ1_0: return kTq1;
    case TensorType::I2_S: return kI2s;
    case TensorType::Q8_0: return kQ8_0;
    case TensorType::Q4_0: return kQ4_0;
    case TensorType::F16: return kF16;
    case TensorType::Q6_K: return kQ6K;
    default: {
      const auto* traits = quant::format_traits(type);
      if (traits != nullptr && traits->vec_dot != nullptr) return kGeneric;
      return {};
    }
  }
}

const MatmulVariant* chosen_matmul_variant(TensorType type) {
  const auto id = size_t(type);
  const auto& set = kernel_set();
  return id < set.chosen.size() ? set.chosen[id] : nullptr;
}

// The smallest piece of a one-token matmul's rows that a thread claims (ThreadPool::
// parallel_for_dynamic's min_piece), in weight bytes.
constexpr int64_t kFinestPieceBytes = 64 << 10;

namespace {

// The parts of the whole matrix v's kernel walks side by side for one token of w
// (MatmulVariant::one_token_whole_parts), or 1.
int one_token_whole_parts(const MatmulVariant& v, const WeightMatrix& w, MatmulOrder order) {
  const bool x16 = w.interleave == kInterleaveRows && v.rows_for(w.interleave, order) == v.rows_x16;
  return x16 && one_token_reads_streams() ? std::max(1, v.one_token_whole_parts) : 1;
}

}  // namespace

void matmul_batch_with(const MatmulVariant& v, std::span<const MatmulOut> outs, const float* x, int64_t n_tokens,
                       ThreadPool& pool, MatmulOrder order, std::span<const uint8_t> read_next) {
  if (outs.empty() || n_tokens <= 0) return;
  const WeightMatrix& w0 = *outs[0].w;
  // Row chunks are multiples of 16 within each matrix so SIMD kernels see whole groups of rows; a
  // thread's share is a contiguous run of groups of the matrices taken in order.
  constexpr int64_t kGroup = 16;
  // One token where the kernel walks several parts of the whole matrix side by side: threads claim
  // steps (a row group of every part, MatmulArgs::part_groups) instead of groups, so that each
  // thread's consecutive pieces continue the same streams (x16_vnni.h for_each_side_by_side).
  struct Matrix {  // one matrix of the batch
    MatmulRowsFn rows;
    MatmulArgs args;
    int64_t first_unit;  // of this matrix, in the concatenation of all the matrices' groups (steps)
    int64_t units;
  };
  thread_local std::vector<Matrix> matrices;
  matrices.clear();
  int64_t n_units = 0;
  int max_parts = 1;  // for the pieces' floor in bytes
  for (const MatmulOut& o : outs) {
    const WeightMatrix& w = *o.w;
    TRIT_ASSERT(w.type == w0.type && w.cols == w0.cols);
    TRIT_ASSERT(w.interleave == 0 || (v.interleaves() && w.interleave == kInterleaveRows));
    const int n_parts = n_tokens == 1 ? one_token_whole_parts(v, w, order) : 1;
    max_parts = std::max(max_parts, n_parts);
    const int64_t groups = (w.rows + kGroup - 1) / kGroup, steps = (groups + n_parts - 1) / n_parts;
    MatmulArgs args{&w, nullptr, 0, n_tokens, o.y};
    if (n_parts > 1) {
      args.parts = n_parts;
      args.part_groups = steps;
    }
    matrices.push_back({v.rows_for(w.interleave, order), args, n_units, n_parts > 1 ? steps : groups});
    n_units += matrices.back().units;
  }
  const int64_t stride = act_row_bytes(v, w0.type, w0.cols);
  // 64-byte aligned rows of quantized tokens, reused across calls on this thread.
  thread_local std::vector<uint8_t> buf;
  const int64_t padded = (stride + 63) / 64 * 64;
  buf.resize(size_t(padded * n_tokens + 64));
  uint8_t* base = buf.data() + (64 - reinterpret_cast<uintptr_t>(buf.data()) % 64) % 64;
  // Quantize tokens in parallel when there are several (prefill); one token is cheap.
  auto quantize_token = [&](int64_t t) {
    if (v.quantize != nullptr) v.quantize(x + t * w0.cols, base + t * padded, w0.cols);
    else quantize_generic(w0.type, x + t * w0.cols, base + t * padded, w0.cols);
  };
  if (n_tokens > 1) {
    pool.parallel_for(n_tokens, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) quantize_token(t);
    });
  } else {
    quantize_token(0);
  }
  for (Matrix& p : matrices) {
    p.args.xq = base;
    p.args.xq_stride = padded;
  }
  // By pointer: inside the loop body `matrices` would name the worker thread's own (empty) vector.
  const std::span<const Matrix> all(matrices.data(), matrices.size());
  auto run_units = [&](int64_t u0, int64_t u1) {
    for (const Matrix& p : all) {
      const int64_t lo = std::max(u0, p.first_unit) - p.first_unit;
      const int64_t hi = std::min(u1 - p.first_unit, p.units);
      if (lo < hi) p.rows(p.args, lo * kGroup, std::min(p.args.w->rows, hi * kGroup));
    }
  };
  // Pieces claimed as threads finish, so a thread that lost its core for a while does not hold up
  // the others (thread_pool.h). One token streams the weights once, memory-bound: down to pieces
  // of kFinestPieceBytes, a few microseconds of streaming, so that threads end together. Prompts
  // take the pool's default floor (1/32 of the rows at 2 threads): several kernels lay out the
  // tokens once per call, which a piece repeats. Prompts had one contiguous share per thread, and
  // at 2 threads a fifth of the samples of a TQ2_0 pp128 (TRIT_ISA=avx2, the 2-vCPU Intel Xeon)
  // were a thread yielding while it waited for the other; claimed, pp128 at 2 threads, builds
  // alternating, 3 runs each: AVX2 TQ2_0 33-38 -> 38-40 tok/s, I2_S 37-49 -> 43-63, F16 29-35 ->
  // 32-38; AVX-512 TQ2_0 82-108 -> 95-120, the others level.
  if (n_tokens == 1) {
    const int64_t unit_bytes = int64_t(w0.row_bytes) * kGroup * max_parts;
    // read_next's lines are asked for once the caller's own stream is done, so they neither
    // compete with it nor wait for the other threads' (matmul.h). Asked for while the matmul
    // streams instead (its first piece), the norms gained as much as Q/K/V lost.
    pool.parallel_for_dynamic(n_units, 1, run_units, std::max<int64_t>(1, kFinestPieceBytes / unit_bytes),
                              [&] { prefetch_lines(read_next.data(), read_next.size()); });
  } else {
    pool.parallel_for_dynamic(n_units, 1, run_units);
  }
}

void matmul_with(const MatmulVariant& v, const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
                 ThreadPool& pool, MatmulOrder order) {
  const MatmulOut out{&w, y};
  matmul_batch_with(v, {&out, 1}, x, n_tokens, pool, order);
}

void matmul(const WeightMatrix& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool, MatmulOrder order,
            std::span<const uint8_t> read_next) {
  const MatmulOut out{&w, y};
  matmul_batch({&out, 1}, x, n_tokens, pool, order, read_next);
}

void matmul_batch(std::span<const MatmulOut> outs, const float* x, int64_t n_tokens, ThreadPool& pool,
                  MatmulOrder order, std::span<const uint8_t> read_next) {
  if (outs.empty() || n_tokens <= 0) return;
  const WeightMatrix& w0 = *outs[0].w;
  bool same = true;
  for (const MatmulOut& o : outs) same = same && o.w->type == w0.type && o.w->cols == w0.cols;
  if (!same) {
    for (size_t i = 0; i < outs.size(); ++i)
      matmul_batch({&outs[i], 1}, x, n_tokens, pool, order, i + 1 == outs.size() ? read_next : std::span<const uint8_t>());
    return;
  }
  const MatmulVariant* v = chosen_matmul_variant(w0.type);
  TRIT_ASSERT(v != nullptr);
  matmul_batch_with(*v, outs, x, n_tokens, pool, order, read_next);
}

std::string matmul_kernel_name(TensorType type) {
  const MatmulVariant* v = chosen_matmul_variant(type);
  return v != nullptr ? std::string(v->name) : std::string(tensor_type_name(type)) + "_none";
}

}  // namespace trit
