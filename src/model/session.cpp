// The forward pass. One layer loop for every supported architecture; each step is commented with
// the equation it computes (REFERENCE.md section 2). BitNet adds the two sub-norms; the FFN
// activation comes from the model (or the compat profile).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/fp16.h"
#include "core/page_buffer.h"
#include "kernels/matmul.h"
#include "kernels/thread_pool.h"
#include "kernels/attention.h"
#include "model/blocks.h"
#include "model/model.h"
#include "model/model_impl.h"

namespace trit {
namespace {

// Tokens evaluated per forward chunk: bounds the scratch memory of a long prompt.
constexpr int64_t kMaxBatch = 256;
// Per-token row work (norms, RoPE, residual adds, the FFN activation) is split over the pool from
// this many tokens up; below it the dispatch costs more than the work.
constexpr int64_t kMinParallelTokens = 4;

// A norm's weights as bytes (none for an absent norm): what a matmul asks for ahead (matmul.h
// read_next) when that norm runs right after it. 2B4T TQ2_0 decode, per-phase timers, tokens
// alternating in one process with and without: the four norms of a token 236 -> 168 us at 2
// threads and 240 -> 154 us at 1 (the second with its residual add), the matmuls unchanged.
std::span<const uint8_t> norm_bytes(const NormWeight& n) {
  if (!n) return {};
  return {reinterpret_cast<const uint8_t*>(n.data), size_t(n.n) * sizeof(float)};
}

}  // namespace

int effective_n_ctx(const HParams& hp, int n_ctx) {
  return n_ctx > 0 ? n_ctx : int(std::min<uint32_t>(hp.n_ctx_train, 4096));
}

namespace {

// Values in each of a Session's two caches (K, V): [n_layer][n_head_kv][n_ctx][head_dim].
int64_t kv_cache_values(const HParams& hp, int n_ctx) {
  return int64_t(hp.n_layer) * effective_n_ctx(hp, n_ctx) * int64_t(hp.n_head_kv) * hp.head_dim;
}

}  // namespace

int64_t session_kv_cache_bytes(const HParams& hp, int n_ctx) {
  return 2 * kv_cache_values(hp, n_ctx) * int64_t(sizeof(fp16_t));
}

int64_t session_scratch_bytes(const HParams& hp, int n_ctx, int n_threads) {
  // Session::State's buffers (keep in step with its constructor): x, h; q k v attn and g u sharing
  // one buffer; rope; per-thread attention scores ...
  const int64_t B = kMaxBatch, E = hp.n_embd, F = hp.n_ff, hd = hp.head_dim;
  const int64_t Ekv = int64_t(hp.n_head_kv) * hd;
  const int64_t ctx = effective_n_ctx(hp, n_ctx);
  int64_t bytes = B * (2 * E + std::max(2 * E + 2 * Ekv, 2 * F) + hd) * int64_t(sizeof(float));
  bytes += n_threads * (attention_block_scratch(ctx, hd) * int64_t(sizeof(float)) +
                        std::max(ctx, hd) * int64_t(sizeof(fp16_t)));
  // ... matmul()'s quantized activations of one chunk (at most 2 bytes a value: F16's), and the
  // logits of one position.
  bytes += B * std::max(E, F) * 2 + int64_t(hp.n_vocab) * int64_t(sizeof(float));
  return bytes;
}

struct Session::State {
  const Model& model;
  const HParams& hp;
  const ModelWeights& w;
  Activation activation;
  RefNumerics numerics;  // the compat profile's float rounding (blocks.h)
  ThreadPool pool;
  int n_ctx;
  int n_past = 0;
  TraceFn trace;
  // Test-only planted bug (Session::set_perturbation, or TRIT_TEST_PERTURB=<tensor>:<layer>):
  // inert unless set; crossval's trace tests check that it is found at this tensor and layer.
  std::string perturb_name;
  int perturb_layer = -1;

  // KV cache, fp16 like llama.cpp's default cache, head-major: [n_layer][n_head_kv][n_ctx][head_dim].
  // Attention reads one KV head's keys in order, so they are one contiguous stream that the
  // hardware prefetcher follows; with positions outermost they were rows of head_dim values
  // n_head_kv * head_dim apart. Decode evicts the cache from L3 between layers (the weights stream
  // through it), so this is a read from memory: 2B4T, one KV head's 4 queries on Zen 5, 1 thread,
  // 10.8 -> 8.0 us at 136 keys and 204 -> 95 us at 2048.
  // K then V in one PageBuffer (2 MiB pages where THP allows): a token writes one row per KV head,
  // n_ctx * head_dim values apart, and on 4 KiB pages each of those rows took a TLB miss. 2B4T
  // decode at 1 thread, the 10 rows of a layer: 10 -> 2.5 us.
  PageBuffer kv_cache;
  fp16_t* k_cache = nullptr;
  fp16_t* v_cache = nullptr;
  // Layer il's cache, and where KV head kvh starts in it.
  fp16_t* layer_k(int il) { return k_cache + size_t(il) * head_offset(hp.n_head_kv); }
  fp16_t* layer_v(int il) { return v_cache + size_t(il) * head_offset(hp.n_head_kv); }
  size_t head_offset(int64_t kvh) const { return size_t(kvh) * size_t(n_ctx) * hp.head_dim; }
  // Where KV head kvh's row of position pos starts in a layer's cache.
  size_t cache_row(int64_t kvh, int64_t pos) const { return head_offset(kvh) + size_t(pos) * hp.head_dim; }

  // Scratch for one chunk of B tokens (row-major [B][width]). The attention's buffers and the FFN's
  // are never live at once, so they share `phase` (session_scratch_bytes counts it once).
  std::vector<float> x;      // [B][n_embd]   residual stream
  std::vector<float> h;      // [B][n_embd]   normed input of a block; then the FFN's output
  std::vector<float> phase;  // [B][max(2 n_embd + 2 n_embd_kv, 2 n_ff)]
  float* q = nullptr;        // [B][n_embd]   queries; then the attention block's output (Wo)
  float* k = nullptr;        // [B][n_embd_kv]
  float* v = nullptr;        // [B][n_embd_kv]
  float* attn = nullptr;     // [B][n_embd]   attention output (all heads)
  float* g = nullptr;        // [B][n_ff]     gate, then act(gate) * up (from phase's start)
  float* u = nullptr;        // [B][n_ff]     up
  std::vector<float> rope;   // [B][head_dim] cos/sin per token
  std::vector<float> scores; // [threads][attention_block_scratch(n_ctx, head_dim)]
  std::vector<fp16_t> scratch16;  // [threads][max(n_ctx, head_dim)]

  State(const Model& m, const ModelWeights& weights)
      : model(m),
        hp(m.hparams()),
        w(weights),
        activation(effective_activation(m.hparams(), m.options().compat)),
        numerics(ref_numerics(m.options().compat)),
        pool(m.options().n_threads) {
    n_ctx = effective_n_ctx(hp, m.options().n_ctx);
    const auto kv = size_t(kv_cache_values(hp, n_ctx));
    // Written through now, as the vectors it replaced were: no page faults inside decode.
    kv_cache = PageBuffer(2 * kv * sizeof(fp16_t));
    std::memset(kv_cache.data(), 0, kv_cache.size());
    k_cache = reinterpret_cast<fp16_t*>(kv_cache.data());
    v_cache = k_cache + kv;
    const size_t B = kMaxBatch, E = hp.n_embd, Ekv = size_t(hp.n_head_kv) * hp.head_dim;
    x.resize(B * E);
    h.resize(B * E);
    phase.resize(B * std::max(2 * E + 2 * Ekv, 2 * size_t(hp.n_ff)));
    q = phase.data();
    k = q + B * E;
    v = k + B * Ekv;
    attn = v + B * Ekv;
    g = phase.data();
    u = g + B * hp.n_ff;
    rope.resize(B * hp.head_dim);
    scores.resize(size_t(pool.size()) * size_t(attention_block_scratch(n_ctx, hp.head_dim)));
    scratch16.resize(size_t(pool.size()) * std::max<size_t>(n_ctx, hp.head_dim));
  }

  // Every named intermediate passes here: the planted bug (if any) is applied to the live buffer,
  // so it propagates like a real one, then the trace hook (if any) sees the tensor.
  void emit(const char* name, int layer, float* data, int64_t n_tokens, int64_t n) {
    if (!perturb_name.empty() && layer == perturb_layer && perturb_name == name) perturb(data, n_tokens, n);
    if (trace) trace(name, layer, data, int(n_tokens), int(n));
  }

  // Negates the first n/16 values of every token row: cosine ~0.88 for that tensor, a clear bug.
  static void perturb(float* data, int64_t n_tokens, int64_t n) {
    const int64_t k = std::max<int64_t>(1, n / 16);
    for (int64_t t = 0; t < n_tokens; ++t)
      for (int64_t i = 0; i < k; ++i) data[t * n + i] = -data[t * n + i];
  }

  // fn(t) for each token row t < n_tokens, over the pool for prompts (per-row work, so the same
  // bits however the rows are split); a single token stays on this thread.
  template <class Fn>
  void per_token(int64_t n_tokens, Fn&& fn) {
    if (n_tokens < kMinParallelTokens) {
      for (int64_t t = 0; t < n_tokens; ++t) fn(t);
      return;
    }
    pool.parallel_for(n_tokens, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) fn(t);
    });
  }

  void norm_rows(const float* in, const NormWeight& weight, float* out, int64_t n_tokens, int64_t n) {
    per_token(n_tokens, [&](int64_t t) {
      rms_norm(in + t * n, weight.data, out + t * n, n, hp.rms_eps, numerics.ggml_simd);
    });
  }

  // x += o, row by row.
  void add_rows(float* xs, const float* os, int64_t n_tokens, int64_t n) {
    per_token(n_tokens, [&](int64_t t) {
      for (int64_t i = t * n; i < (t + 1) * n; ++i) xs[i] += os[i];
    });
  }

  // Causal GQA attention of B new tokens (positions pos0..pos0+B-1) of layer il, whose K/V have
  // already been written to the cache.
  void attention(int il, int64_t B, int64_t pos0) {
    const int64_t hd = hp.head_dim;
    const int64_t group = hp.n_head / hp.n_head_kv;
    const fp16_t* kc = layer_k(il);
    const fp16_t* vc = layer_v(il);
    const float scale = 1.0f / std::sqrt(float(hd));
    if (!numerics.ggml_simd) {
      attention_blocked(kc, vc, B, pos0, scale);
      return;
    }
    // The compat profiles: one query per task, in the reference's summation orders (blocks.cpp).
    const int64_t n_tasks = B * hp.n_head;
    RefNumerics num = numerics;
    num.pv_f32 = numerics.pv_f32 && B >= 2;  // llamafile's sgemm runs only for batches of >= 2
    const size_t per_thread = scores.size() / size_t(pool.size()), s16 = std::max<size_t>(n_ctx, hd);
    std::atomic<int64_t> next{0};  // tasks claimed as threads finish (attention_blocked)
    pool.run([&](int ith, int) {
      float* sc = scores.data() + size_t(ith) * per_thread;
      fp16_t* sh = scratch16.data() + size_t(ith) * s16;
      for (int64_t task = next++; task < n_tasks; task = next++) {
        const int64_t t = task / hp.n_head, head = task % hp.n_head;
        const int64_t kvh = head / group;
        attention_head(q + t * hp.n_embd + head * hd, kc + head_offset(kvh), vc + head_offset(kvh), hd,
                       pos0 + t + 1, hd, scale, sc, sh, attn + t * hp.n_embd + head * hd, num);
      }
    });
  }

  // attention() in the native numerics: a task is one KV head x a block of tokens x its query
  // heads (kernels/attention.h), so the group's queries share each K and V row; a query's bits do
  // not depend on the split. Blocks of 16 queries fill the kernel's lanes. Where whole groups
  // leave threads idle (decode), each group is split in as many parts as still give every part a
  // thread: a part costs more than its share (the kernel's scores run 4 queries at a time,
  // padded), so more parts than threads would be slower than none.
  void attention_blocked(const fp16_t* kc, const fp16_t* vc, int64_t B, int64_t pos0, float scale) {
    const int64_t hd = hp.head_dim, E = hp.n_embd;
    const int64_t group = hp.n_head / hp.n_head_kv, n_kv_heads = hp.n_head_kv;
    const int64_t tokens = std::max<int64_t>(1, kAttentionBlockQueries / group);  // per block
    const int64_t n_blocks = (B + tokens - 1) / tokens;
    const int64_t split = std::clamp<int64_t>(pool.size() / (n_kv_heads * n_blocks), 1, group);
    const int64_t heads = (group + split - 1) / split;  // query heads per task
    const int64_t parts = (group + heads - 1) / heads;
    const int64_t n_tasks = n_kv_heads * n_blocks * parts;
    const size_t per_thread = scores.size() / size_t(pool.size());
    // Tasks claimed one at a time as threads finish, so a thread slowed down (another process on its
    // core) does not hold up the other; a task's result does not depend on the thread.
    std::atomic<int64_t> next{0};
    pool.run([&](int ith, int) {
      float* scratch = scores.data() + size_t(ith) * per_thread;
      for (int64_t task = next++; task < n_tasks; task = next++) {
        const int64_t kvh = task / (n_blocks * parts), blk = task / parts % n_blocks, part = task % parts;
        const int64_t t0 = blk * tokens, h0 = kvh * group + part * heads;
        AttentionBlock b;
        b.q = q + t0 * E + h0 * hd;
        b.q_stride = E;
        b.k = kc + head_offset(kvh);
        b.v = vc + head_offset(kvh);
        b.kv_stride = hd;
        b.out = attn + t0 * E + h0 * hd;
        b.out_stride = E;
        b.n_tokens = std::min(tokens, B - t0);
        b.n_heads = std::min(heads, group - part * heads);
        b.head_dim = hd;
        b.n_kv = pos0 + t0 + 1;
        b.scale = scale;
        attention_block_f16(b, scratch);
      }
    });
  }

  void layer(int il, int64_t B, int64_t pos0) {
    const LayerWeights& L = w.layers[il];
    const int64_t E = hp.n_embd, F = hp.n_ff, hd = hp.head_dim, Ekv = int64_t(hp.n_head_kv) * hd;

    // 1. h = rmsnorm(x) * attn_norm;  q, k, v = Wq h, Wk h, Wv h
    norm_rows(x.data(), L.attn_norm, h.data(), B, E);
    emit("attn_norm", il, h.data(), B, E);
    const MatmulOut qkv[] = {{&L.wq, q}, {&L.wk, k}, {&L.wv, v}};
    matmul_batch(qkv, h.data(), B, pool, numerics.matmul, norm_bytes(L.attn_sub_norm));

    // 2. rope(q), rope(k) at each token's position (cos/sin from forward())
    per_token(B, [&](int64_t t) {
      const float* cs = rope.data() + t * hd;
      for (uint32_t head = 0; head < hp.n_head; ++head)
        rope_apply(q + t * E + head * hd, hd, hp.rope_type, cs, numerics.rope_fma);
      for (uint32_t head = 0; head < hp.n_head_kv; ++head)
        rope_apply(k + t * Ekv + head * hd, hd, hp.rope_type, cs, numerics.rope_fma);
    });
    emit("Qcur", il, q, B, E);
    emit("Kcur", il, k, B, Ekv);
    emit("Vcur", il, v, B, Ekv);

    // 3. append k, v to the cache (fp16), then causal attention over positions 0..pos. One token's
    // rows are lines the cache has not touched since the weights' stream passed: asking for all of
    // them for writing first lets their reads overlap (2B4T TQ2_0 decode, per-phase timers,
    // alternating builds, three rounds: the write 80-88 -> 50-55 us a token at 1 thread, 45-50 ->
    // 28-36 at 2).
    if (B == 1)
      for (int64_t kvh = 0; kvh < int64_t(hp.n_head_kv); ++kvh) {
        const size_t at = cache_row(kvh, pos0);
        for (int64_t i = 0; i < hd; i += 32) {  // 32 fp16 a line
          __builtin_prefetch(layer_k(il) + at + i, 1);
          __builtin_prefetch(layer_v(il) + at + i, 1);
        }
      }
    per_token(B, [&](int64_t t) {
      for (int64_t kvh = 0; kvh < int64_t(hp.n_head_kv); ++kvh) {
        const size_t at = cache_row(kvh, pos0 + t);
        fp32_to_fp16_row(k + t * Ekv + kvh * hd, layer_k(il) + at, hd);
        fp32_to_fp16_row(v + t * Ekv + kvh * hd, layer_v(il) + at, hd);
      }
    });
    attention(il, B, pos0);
    emit("kqv_out", il, attn, B, E);

    // 4. bitnet: a = rmsnorm(attn) * attn_sub_norm;  x = x + Wo a
    const float* attn_in = attn;
    if (L.attn_sub_norm) {
      norm_rows(attn, L.attn_sub_norm, h.data(), B, E);
      emit("attn_sub_norm", il, h.data(), B, E);
      attn_in = h.data();
    }
    float* o = q;  // q is spent: Wo a goes there
    matmul(L.wo, attn_in, B, o, pool, numerics.matmul, norm_bytes(L.ffn_norm));
    emit("attn_out", il, o, B, E);
    add_rows(x.data(), o, B, E);
    emit("ffn_inp", il, x.data(), B, E);

    // 5. f = rmsnorm(x) * ffn_norm;  g = act(Wgate f) * (Wup f)
    norm_rows(x.data(), L.ffn_norm, h.data(), B, E);
    emit("ffn_norm", il, h.data(), B, E);
    const MatmulOut gate_up[] = {{&L.ffn_gate, g}, {&L.ffn_up, u}};
    matmul_batch(gate_up, h.data(), B, pool, numerics.matmul, norm_bytes(L.ffn_sub_norm));
    per_token(B, [&](int64_t t) { gated_activation(activation, g + t * F, u + t * F, F, numerics, F); });

    // 6. bitnet: g = rmsnorm(g) * ffn_sub_norm;  x = x + Wdown g
    const float* down_in = g;
    if (L.ffn_sub_norm) {
      emit("ffn_sub_out", il, g, B, F);
      norm_rows(g, L.ffn_sub_norm, u, B, F);
      emit("ffn_sub_norm", il, u, B, F);
      down_in = u;
    }
    float* f = h.data();  // h (the FFN's input) is spent: Wdown g goes there
    const bool last = il + 1 == int(hp.n_layer);
    matmul(L.ffn_down, down_in, B, f, pool, numerics.matmul,
           norm_bytes(last ? w.output_norm : w.layers[size_t(il) + 1].attn_norm));
    emit("ffn_out", il, f, B, E);
    add_rows(x.data(), f, B, E);
    emit("l_out", il, x.data(), B, E);
  }

  // Runs one chunk; writes logits for rows [first_out, B) into out (n_vocab floats each).
  void forward(const int32_t* tokens, int64_t B, int64_t first_out, float* out) {
    const int64_t E = hp.n_embd;
    const int64_t pos0 = n_past;
    // token embeddings (get_rows: the stored row, dequantized)
    for (int64_t t = 0; t < B; ++t) dequantize_weight_row(w.token_embd, tokens[t], x.data() + t * E);
    emit("inp_embd", -1, x.data(), B, E);
    // RoPE's cos/sin depend on the position only: once per chunk, not per layer.
    per_token(B, [&](int64_t t) {
      rope_cos_sin(pos0 + t, hp.head_dim, hp.rope_freq_base, w.rope_freqs.empty() ? nullptr : w.rope_freqs.data(),
                   rope.data() + t * hp.head_dim);
    });
    for (uint32_t il = 0; il < hp.n_layer; ++il) layer(int(il), B, pos0);
    n_past += int(B);
    // Final: logits = W_out · (rmsnorm(x) * output_norm), only for the rows asked for.
    const int64_t n_out = B - first_out;
    if (n_out <= 0) return;
    norm_rows(x.data() + first_out * E, w.output_norm, h.data(), n_out, E);
    emit("result_norm", -1, h.data(), n_out, E);
    matmul(w.output, h.data(), n_out, out, pool, numerics.matmul);
    emit("result_output", -1, out, n_out, hp.n_vocab);
  }
};

Session::Session(const Model& model) : state_(std::make_unique<State>(model, *model.weights_)) {
  if (const char* env = std::getenv("TRIT_TEST_PERTURB"); env != nullptr && *env != '\0') {
    const std::string spec(env);
    const size_t colon = spec.rfind(':');
    const std::string name = spec.substr(0, colon);
    const int layer = colon == std::string::npos ? -1 : std::atoi(spec.c_str() + colon + 1);
    set_perturbation(name, layer);
  }
}
Session::~Session() = default;

int Session::n_past() const { return state_->n_past; }
int Session::n_ctx() const { return state_->n_ctx; }
void Session::reset() { state_->n_past = 0; }
void Session::set_trace(TraceFn fn) { state_->trace = std::move(fn); }
void Session::set_perturbation(std::string tensor, int layer) {
  state_->perturb_name = std::move(tensor);
  state_->perturb_layer = layer;
}

Status Session::truncate(int n_past) {
  if (n_past < 0 || n_past > state_->n_past)
    return make_error("cannot truncate the KV cache to " + std::to_string(n_past) + " (it holds " +
                      std::to_string(state_->n_past) + " positions)");
  state_->n_past = n_past;
  return {};
}

Status Session::eval(std::span<const int32_t> tokens, std::vector<float>* logits, bool all_logits) {
  State& s = *state_;
  const int64_t n = int64_t(tokens.size());
  if (n == 0) return make_error("eval: no tokens");
  if (s.n_past + n > s.n_ctx)
    return make_error("context full: " + std::to_string(s.n_past) + " + " + std::to_string(n) +
                      " tokens exceed the context of " + std::to_string(s.n_ctx) + " (use --ctx)");
  for (int64_t i = 0; i < n; ++i) {
    if (tokens[i] < 0 || uint32_t(tokens[i]) >= s.hp.n_vocab)
      return make_error("token id " + std::to_string(tokens[i]) + " at index " + std::to_string(i) +
                        " is outside the vocabulary (0.." + std::to_string(s.hp.n_vocab - 1) + ")");
  }
  const int64_t V = s.hp.n_vocab;
  if (logits) logits->assign(size_t((all_logits ? n : 1) * V), 0.0f);
  for (int64_t start = 0; start < n; start += kMaxBatch) {
    const int64_t B = std::min(kMaxBatch, n - start);
    const bool last_chunk = start + B == n;
    int64_t first_out = B;  // no logits for this chunk
    float* out = nullptr;
    if (logits && all_logits) {
      first_out = 0;
      out = logits->data() + start * V;
    } else if (logits && last_chunk) {
      first_out = B - 1;
      out = logits->data();
    }
    s.forward(tokens.data() + start, B, first_out, out);
  }
  return {};
}

}  // namespace trit
