#include "model/weights.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <string>

#include <sys/mman.h>
#include <unistd.h>

#include "core/fp16.h"
#include "kernels/matmul_variants.h"
#include "kernels/repack.h"
#include "quant/formats.h"
#include "quant/i2_s.h"
#include "quant/q8_k.h"

namespace trit {
namespace {

std::string shape_str(const std::vector<uint64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

struct Binder {
  const gguf::File& f;
  ModelWeights& w;

  Error err(const std::string& msg) const { return make_error(f.path() + ": " + msg); }

  Result<WeightMatrix> matrix(const std::string& name, uint64_t cols, uint64_t rows) {
    const auto* t = f.find_tensor(name);
    if (!t) return err("tensor '" + name + "' is missing");
    if (t->shape.size() != 2 || t->shape[0] != cols || t->shape[1] != rows)
      return err("tensor '" + name + "' has shape " + shape_str(t->shape) + ", expected [" +
                 std::to_string(cols) + ", " + std::to_string(rows) + "]");
    const auto* traits = quant::format_traits(t->type);
    const bool computable = traits && (traits->vec_dot || t->type == TensorType::I2_S);
    if (!computable)
      return err("tensor '" + name + "' has type " + std::string(tensor_type_name(t->type)) +
                 ", which trit cannot compute with (supported: f32 f16 bf16 q8_0 q4_0 q6_k tq1_0 tq2_0 i2_s)");
    WeightMatrix m;
    m.type = t->type;
    m.data = t->data;
    m.cols = int64_t(cols);
    m.rows = int64_t(rows);
    m.row_bytes = size_t(*row_bytes(t->type, cols));
    if (t->type == TensorType::I2_S) {
      if (cols % quant::kQK_I2_S != 0)
        return err("tensor '" + name + "': I2_S rows must be a multiple of 128 elements");
      m.tensor_scale = quant::i2_s_scale(t->data, int64_t(t->n_elements()));
      if (!std::isfinite(m.tensor_scale)) return err("tensor '" + name + "': I2_S scale is not finite");
    }
    // Optional per-matrix output scale (mainline bitnet: blk.N.attn_q.scale, shape {1}).
    const std::string scale_name = name.substr(0, name.rfind(".weight")) + ".scale";
    if (const auto* s = f.find_tensor(scale_name)) {
      if (s->n_elements() != 1) return err("tensor '" + scale_name + "' should have one element");
      auto v = scalar(*s);
      if (!v) return v.error();
      m.out_scale = *v;
    }
    return m;
  }

  Result<float> scalar(const gguf::TensorInfo& t) {
    float v = 0;
    if (t.type == TensorType::F32) std::memcpy(&v, t.data, 4);
    else if (t.type == TensorType::F16) v = fp16_to_fp32(uint16_t(t.data[0] | (t.data[1] << 8)));
    else if (t.type == TensorType::BF16) v = bf16_to_fp32(uint16_t(t.data[0] | (t.data[1] << 8)));
    else return err("tensor '" + t.name + "' must be f32, f16 or bf16");
    if (!std::isfinite(v)) return err("tensor '" + t.name + "' is not finite");
    return v;
  }

  Result<NormWeight> norm(const std::string& name, uint64_t n, bool required = true) {
    const auto* t = f.find_tensor(name);
    if (!t) {
      if (required) return err("tensor '" + name + "' is missing");
      return NormWeight{};
    }
    if (t->shape.size() != 1 || t->shape[0] != n)
      return err("tensor '" + name + "' has shape " + shape_str(t->shape) + ", expected [" + std::to_string(n) + "]");
    auto floats = to_floats(*t);
    if (!floats) return floats.error();
    return NormWeight{*floats, int64_t(n)};
  }

  // Copied (converted) into an owned buffer, F32 included: read in place, every layer's norm would
  // fault the file back in around it (the page cache may hold the file in 2 MiB folios, mapped
  // whole), undoing the release of the rewritten matrices next to it: 50 MiB of a 1B llama Q4_0
  // file stayed resident. The norms are small (7 KiB to 28 KiB a layer for 2B4T).
  Result<const float*> to_floats(const gguf::TensorInfo& t) {
    std::vector<float> v(t.n_elements());
    if (t.type == TensorType::F32) {
      std::memcpy(v.data(), t.data, v.size() * sizeof(float));
      w.owned.push_back(std::move(v));
      return static_cast<const float*>(w.owned.back().data());
    }
    const auto* traits = quant::format_traits(t.type);
    if (!traits || !traits->dequantize_row || t.shape[0] % uint64_t(traits->block_size) != 0)
      return err("tensor '" + t.name + "' has type " + std::string(tensor_type_name(t.type)) +
                 "; norm and rope tensors must be f32, f16 or bf16");
    traits->dequantize_row(t.data, v.data(), int64_t(v.size()));
    w.owned.push_back(std::move(v));
    return static_cast<const float*>(w.owned.back().data());
  }
};

// Drops this process's mapping of the whole pages inside [p, p + n) (read-only file pages: a later
// read faults them back in from the page cache, so this cannot lose data).
void release_pages(const uint8_t* p, size_t n) {
  const auto page = uintptr_t(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + n) / page * page;
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

bool repackable_tq1(const WeightMatrix& m) { return m.type == TensorType::TQ1_0 && m.cols % quant::kQK_K == 0; }

int64_t tq2_size(const WeightMatrix& m) { return tq2_0_bytes(m.cols / quant::kQK_K * m.rows); }

// Whether this CPU's kernel for `type` reads kernels/repack.h's 16-row groups of an m-row matrix.
bool interleaved_kernel(TensorType type, const WeightMatrix& m) {
  const MatmulVariant* v = chosen_matmul_variant(type);
  return v != nullptr && v->interleaves() && can_interleave(type, m.rows);
}

// TQ1_0 -> TQ2_0 at dst (tq2_size(m) bytes), straight into 16-row groups when the TQ2_0 kernel
// reads those: the row-major TQ2_0 goes through `scratch`, one buffer for every matrix.
void repack_tq1(WeightMatrix& m, uint8_t* dst, std::vector<uint8_t>& scratch) {
  const int64_t blocks_per_row = m.cols / quant::kQK_K;
  const bool interleave = interleaved_kernel(TensorType::TQ2_0, m);
  if (interleave) {
    scratch.resize(size_t(tq2_size(m)));
    repack_tq1_0_as_tq2_0(m.data, scratch.data(), blocks_per_row * m.rows);
    repack_interleaved(TensorType::TQ2_0, scratch.data(), dst, m.rows, m.cols, m.ternary_span_cols);
  } else {
    repack_tq1_0_as_tq2_0(m.data, dst, blocks_per_row * m.rows);
  }
  release_pages(m.data, m.row_bytes * size_t(m.rows));
  m.type = TensorType::TQ2_0;
  m.data = dst;
  m.row_bytes = size_t(tq2_0_bytes(blocks_per_row));
  m.interleave = interleave ? kInterleaveRows : 0;
}

// The file's pages a rewrite has read are released every kReleaseBytes of source, so a large head
// is never resident twice.
constexpr size_t kReleaseBytes = size_t(32) << 20;

// m into kernels/repack.h's 16-row groups at dst (the same bytes, so memory does not grow), a
// slice of groups at a time, releasing the file's pages as it goes.
void interleave_rows(WeightMatrix& m, uint8_t* dst) {
  const int64_t n_groups = m.rows / kInterleaveRows;
  const size_t group_bytes = m.row_bytes * kInterleaveRows;
  const int64_t per_slice = std::max<int64_t>(1, int64_t(kReleaseBytes / group_bytes));
  for (int64_t g = 0; g < n_groups; g += per_slice) {
    const int64_t g_end = std::min(n_groups, g + per_slice);
    repack_interleaved_groups(m.type, m.data, dst, m.rows, m.cols, g, g_end, m.ternary_span_cols);
    release_pages(m.data + size_t(g) * group_bytes, size_t(g_end - g) * group_bytes);
  }
  m.data = dst;
  m.interleave = kInterleaveRows;
}

// m copied unchanged to dst, releasing the file's pages as it goes.
void copy_rows(WeightMatrix& m, uint8_t* dst) {
  const size_t bytes = m.row_bytes * size_t(m.rows);
  for (size_t off = 0; off < bytes; off += kReleaseBytes) {
    const size_t n = std::min(kReleaseBytes, bytes - off);
    std::memcpy(dst + off, m.data + off, n);
    release_pages(m.data + off, n);
  }
  m.data = dst;
}

}  // namespace

// The TQ2_0 copy minus the TQ1_0 bytes, plus three pages for the rounding: the partial pages at
// the ends of the file's data stay mapped, and the copy's share of the rewrite mapping's last page.
int64_t tq1_repack_cost(const WeightMatrix& m) {
  const auto page = int64_t(sysconf(_SC_PAGESIZE));
  return tq2_size(m) - int64_t(m.row_bytes) * m.rows + 3 * page;
}

std::vector<bool> choose_repacks(std::span<const int64_t> extra, int64_t budget) {
  std::vector<size_t> order(extra.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return extra[a] > extra[b]; });
  std::vector<bool> chosen(extra.size(), false);
  int64_t left = budget;
  for (size_t i : order)
    if (extra[i] <= left) {
      chosen[i] = true;
      left -= extra[i];
    }
  return chosen;
}

Result<ModelWeights> bind_weights(const gguf::File& file, const HParams& hp, bool repack, int64_t tq1_budget,
                                  int64_t ternary_span_cols) {
  ModelWeights w;
  w.owned.reserve(2 * hp.n_layer + 8);  // pointers into `owned` must stay valid
  Binder b{file, w};
  const uint64_t E = hp.n_embd, V = hp.n_vocab, F = hp.n_ff;
  const uint64_t E_kv = uint64_t(hp.n_head_kv) * hp.head_dim;
  const bool bitnet = hp.arch != Arch::kLlama;

  auto embd = b.matrix("token_embd.weight", E, V);
  if (!embd) return embd.error();
  w.token_embd = *embd;
  auto on = b.norm("output_norm.weight", E);
  if (!on) return on.error();
  w.output_norm = *on;
  if (hp.tied_embeddings) {
    // Also read row by row for embeddings: keeps the file's layout. (A tied F16 head in 16-row
    // groups measured slower for decode: 2B4T TQ1_0 on Zen 5, 17.7 vs 19.5 tok/s at 1 thread and
    // 22 vs 26 at 2, alternating runs; the row-major AVX2 kernel streams DRAM better.)
    w.output = w.token_embd;
  } else {
    auto out = b.matrix("output.weight", E, V);
    if (!out) return out.error();
    w.output = *out;
  }
  if (const auto* rf = file.find_tensor("rope_freqs.weight")) {
    if (rf->shape.size() != 1 || rf->shape[0] != hp.head_dim / 2)
      return b.err("tensor 'rope_freqs.weight' should have head_dim/2 elements");
    auto floats = b.to_floats(*rf);
    if (!floats) return floats.error();
    w.rope_freqs.assign(*floats, *floats + hp.head_dim / 2);
  }

  for (uint32_t il = 0; il < hp.n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    LayerWeights L;
#define TRIT_BIND(field, expr)        \
  {                                   \
    auto r = (expr);                  \
    if (!r) return r.error();         \
    L.field = *r;                     \
  }
    TRIT_BIND(attn_norm, b.norm(p + "attn_norm.weight", E));
    TRIT_BIND(wq, b.matrix(p + "attn_q.weight", E, E));
    TRIT_BIND(wk, b.matrix(p + "attn_k.weight", E, E_kv));
    TRIT_BIND(wv, b.matrix(p + "attn_v.weight", E, E_kv));
    TRIT_BIND(wo, b.matrix(p + "attn_output.weight", E, E));
    TRIT_BIND(attn_sub_norm, b.norm(p + "attn_sub_norm.weight", E, bitnet));
    TRIT_BIND(ffn_norm, b.norm(p + "ffn_norm.weight", E));
    TRIT_BIND(ffn_gate, b.matrix(p + "ffn_gate.weight", E, F));
    TRIT_BIND(ffn_up, b.matrix(p + "ffn_up.weight", E, F));
    TRIT_BIND(ffn_down, b.matrix(p + "ffn_down.weight", F, E));
    TRIT_BIND(ffn_sub_norm, b.norm(p + "ffn_sub_norm.weight", F, bitnet));
#undef TRIT_BIND
    w.layers.push_back(L);
  }

  // TQ1_0 -> TQ2_0 within the budget (choose_repacks). The candidates are in file order, so ties
  // go to earlier layers.
  std::vector<WeightMatrix*> tq1;
  for (LayerWeights& L : w.layers)
    for (WeightMatrix* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.ffn_gate, &L.ffn_up, &L.ffn_down})
      if (repackable_tq1(*m)) tq1.push_back(m);
  std::vector<int64_t> extra(tq1.size());
  for (size_t i = 0; i < tq1.size(); ++i) extra[i] = tq1_repack_cost(*tq1[i]);
  const std::vector<bool> chosen = choose_repacks(extra, repack ? tq1_budget : 0);
  w.tq1_repacked = int(std::count(chosen.begin(), chosen.end(), true));
  w.tq1_kept = int(tq1.size()) - w.tq1_repacked;
  for (size_t i = 0; i < tq1.size(); ++i) w.tq1_extra_bytes += chosen[i] ? extra[i] : 0;
  if (!repack) return w;

  // Every rewrite, in file order (so the file is read once front to back), into one mapping: huge
  // pages then cover nearly all of it (core/page_buffer.h), where a buffer per matrix would leave
  // the many matrices under 2 MiB on 4 KiB pages (2B4T TQ1_0 decode at 1 thread, alternating runs:
  // 19.1 tok/s on 4 KiB pages, 19.6 with a buffer per matrix, 20.2 with one mapping).
  enum class How { kTq1AsTq2, kInterleave, kCopy };
  struct Rewrite {
    WeightMatrix* m;
    How how;
    size_t bytes;
  };
  std::vector<Rewrite> plan;
  auto plan_matrix = [&](WeightMatrix* m) {
    const auto it = std::find(tq1.begin(), tq1.end(), m);
    if (it != tq1.end() && chosen[size_t(it - tq1.begin())]) plan.push_back({m, How::kTq1AsTq2, size_t(tq2_size(*m))});
    else if (interleaved_kernel(m->type, *m)) plan.push_back({m, How::kInterleave, m->row_bytes * size_t(m->rows)});
  };
  // The head is decode's largest stream (657 of 1098 MB per token for 2B4T TQ1_0). Tied embeddings
  // are copied into the mapping too, for its huge pages (same resident bytes: the file's pages are
  // released). 2B4T TQ2_0 decode, alternating runs: 1 thread 19.2-20.2 -> 20.3-21.4 tok/s; 2
  // threads 22.8-25.8 -> 27.2-27.7 in the steadier of two rounds. An F16 one goes into 16-row
  // groups where the kernel reads those (the embedding lookup reads its rows back,
  // dequantize_weight_row); other types keep the file's layout.
  const bool tied_f16_x16 = hp.tied_embeddings && w.token_embd.type == TensorType::F16 &&
                            interleaved_kernel(TensorType::F16, w.token_embd);
  if (hp.tied_embeddings && !tied_f16_x16)
    plan.push_back({&w.token_embd, How::kCopy, w.token_embd.row_bytes * size_t(w.token_embd.rows)});
  else plan_matrix(hp.tied_embeddings ? &w.token_embd : &w.output);
  for (LayerWeights& L : w.layers)
    for (WeightMatrix* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.ffn_gate, &L.ffn_up, &L.ffn_down}) plan_matrix(m);
  auto slot = [](size_t bytes) { return (bytes + 63) / 64 * 64; };  // 64-byte aligned starts
  size_t total = 0;
  for (const Rewrite& r : plan) total += slot(r.bytes);
  if (total == 0) return w;
  PageBuffer arena;
  try {
    arena = PageBuffer(total);
  } catch (const std::bad_alloc&) {
    return make_error("cannot map " + std::to_string(total >> 20) + " MiB for the weights rewritten at load (TRIT_REPACK=0 skips that)");
  }
  std::vector<uint8_t> scratch;  // repack_tq1's, sized once for the largest: no regrowth
  size_t largest = 0;
  for (const Rewrite& r : plan)
    if (r.how == How::kTq1AsTq2 && interleaved_kernel(TensorType::TQ2_0, *r.m)) largest = std::max(largest, r.bytes);
  scratch.reserve(largest);
  uint8_t* dst = arena.data();
  for (const Rewrite& r : plan) {
    r.m->ternary_span_cols = ternary_span_cols;  // the layout the rewrite writes and the kernels read
    switch (r.how) {
      case How::kTq1AsTq2: repack_tq1(*r.m, dst, scratch); break;
      case How::kInterleave: interleave_rows(*r.m, dst); break;
      case How::kCopy: copy_rows(*r.m, dst); break;
    }
    w.repacked_bytes += int64_t(r.bytes);
    dst += slot(r.bytes);
  }
  if (hp.tied_embeddings) w.output = w.token_embd;
  w.owned_bytes.push_back(std::move(arena));
  return w;
}

}  // namespace trit
