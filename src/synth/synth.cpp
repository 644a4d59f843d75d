#include "synth/synth.h"

#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "core/fp16.h"
#include "core/log.h"
#include "gguf/gguf.h"
#include "quant/formats.h"
#include "quant/i2_s.h"
#include "quant/ternary.h"
#include "synth/byte_vocab.h"
#include "synth/rng.h"

namespace trit::synth {
namespace {

bool is_ternary_type(TensorType t) {
  return t == TensorType::TQ1_0 || t == TensorType::TQ2_0 || t == TensorType::I2_S;
}

// One tensor to generate: name, shape [cols, rows] (ggml order), how to fill it.
enum class Fill { kNorm, kEmbedding, kTernary, kGaussian };
struct Spec {
  std::string name;
  uint64_t cols, rows;  // rows == 0: a vector of `cols`
  TensorType type;
  Fill fill;
};

// Ternary codes about one third each of -1, 0, +1 (BitNet b1.58 weights after absmean rounding),
// scaled so that a row times a unit-RMS input has RMS ~1: scale = 1 / sqrt(2/3 * fan_in).
void fill_ternary(Rng& rng, int8_t* codes, uint64_t n) {
  uint64_t i = 0;
  while (i < n) {
    uint64_t r = rng.next();
    for (int k = 0; k < 8 && i < n; ++k, ++i, r >>= 8) {
      const uint32_t b = uint32_t(r & 0xff);
      codes[i] = b < 85 ? -1 : (b < 171 ? 0 : 1);
    }
  }
}

Result<std::vector<uint8_t>> make_tensor(const Spec& s, uint64_t seed) {
  Rng rng(tensor_seed(seed, s.name));
  const uint64_t rows = s.rows ? s.rows : 1;
  const uint64_t n = s.cols * rows;
  std::vector<float> values;
  if (s.fill == Fill::kTernary) {
    std::vector<int8_t> codes(n);
    fill_ternary(rng, codes.data(), n);
    // Rounded to an fp16 value, so that one seed gives the same weights in I2_S (a float32 tensor
    // scale) and TQ1_0 / TQ2_0 (fp16 block scales), and `trit convert` between them is lossless.
    const float scale = fp16_to_fp32(fp32_to_fp16(1.0f / std::sqrt(2.0f / 3.0f * float(s.cols))));
    if (s.type == TensorType::I2_S) {
      std::vector<uint8_t> out(size_t(quant::i2_s_tensor_bytes(int64_t(n))));
      quant::pack_i2_s(codes.data(), int64_t(n), scale, out.data());
      return out;
    }
    values.resize(n);
    quant::ternary_to_float(codes.data(), scale, values.data(), int64_t(n));
  } else {
    values.resize(n);
    switch (s.fill) {
      case Fill::kNorm:
        for (auto& v : values) v = 1.0f + 0.05f * rng.normal();
        break;
      case Fill::kEmbedding: {
        // Tied head: logit spread ~2 for a unit-RMS hidden state, so softmax is neither flat nor one-hot.
        const float sigma = 2.0f / std::sqrt(float(s.cols));
        for (auto& v : values) v = sigma * rng.normal();
        break;
      }
      default: {
        const float sigma = 1.0f / std::sqrt(float(s.cols));
        for (auto& v : values) v = sigma * rng.normal();
        break;
      }
    }
  }
  auto bytes = quant::quantized_tensor_bytes(s.type, int64_t(rows), int64_t(s.cols));
  if (!bytes) return make_error("tensor '" + s.name + "': " + bytes.error().message);
  std::vector<uint8_t> out(static_cast<size_t>(*bytes));
  if (s.type == TensorType::I2_S) {
    quant::quantize_i2_s_absmean(values.data(), int64_t(n), out.data());
  } else {
    TRIT_TRY(quant::quantize_tensor(s.type, values.data(), int64_t(rows), int64_t(s.cols), out.data()));
  }
  return out;
}

uint32_t ftype_of(TensorType t) {
  // llama_ftype values (llama.h) for the file's main type; printed by llama.cpp, not required.
  switch (t) {
    case TensorType::F32: return 0;
    case TensorType::F16: return 1;
    case TensorType::Q4_0: return 2;
    case TensorType::Q8_0: return 7;
    case TensorType::Q6_K: return 18;
    case TensorType::BF16: return 32;
    case TensorType::TQ1_0: return 36;
    case TensorType::TQ2_0: return 37;
    case TensorType::I2_S: return 40;  // bitnet.cpp's llama.h: LLAMA_FTYPE_MOSTLY_I2_S
    default: return 0;
  }
}

}  // namespace

Result<Shape> parse_shape(const std::string& spec) {
  if (spec == "tiny") return Shape{256, 2, 4, 2, 512, 1024, 10000.0f};
  if (spec == "small") return Shape{512, 4, 8, 2, 1536, 2048, 10000.0f};
  // The real models' vocabulary size (Llama-3's 128256), so the embedding and head are full size.
  if (spec == "2b4t") return Shape{2560, 30, 20, 5, 6912, 4096, 500000.0f, 128256};
  if (spec == "1b") return Shape{2048, 16, 32, 8, 8192, 4096, 500000.0f, 128256};
  Shape s;
  char x1, x2, x3, x4;
  std::istringstream in(spec);
  if (in >> s.n_embd >> x1 >> s.n_layer >> x2 >> s.n_head >> x3 >> s.n_head_kv >> x4 >> s.n_ff && in.eof() &&
      x1 == 'x' && x2 == 'x' && x3 == 'x' && x4 == 'x') {
    if (!s.n_embd || !s.n_layer || !s.n_head || !s.n_head_kv || !s.n_ff || s.n_embd % s.n_head ||
        s.n_head % s.n_head_kv || (s.n_embd / s.n_head) % 2 || s.n_embd > 65536 || s.n_ff > 262144 ||
        s.n_layer > 256 || s.n_head > 1024)
      return make_error("shape '" + spec + "': need n_embd divisible by n_head, n_head by n_head_kv, an even "
                        "head dimension, and sane sizes");
    return s;
  }
  return make_error("unknown shape '" + spec + "' (expected tiny, small, 2b4t, 1b or WxLxHxKVxFF, e.g. 512x4x8x2x1536)");
}

Result<Summary> write_model(const Options& o, const std::string& path) {
  const bool bitnet = o.arch != "llama";
  if (o.arch != "llama" && o.arch != "bitnet" && o.arch != "bitnet-b1.58" && o.arch != "bitnet-25")
    return make_error("unknown --arch '" + o.arch + "' (expected llama, bitnet, bitnet-b1.58 or bitnet-25)");
  const Shape& sh = o.shape;
  for (TensorType t : {o.type, o.embd_type}) {
    const auto* traits = quant::format_traits(t);
    if (!traits || (!traits->vec_dot && t != TensorType::I2_S))
      return make_error("type " + std::string(tensor_type_name(t)) + " cannot be used for weights");
  }
  if (o.embd_type == TensorType::I2_S) return make_error("--embd-type i2_s is not supported (per-tensor scale)");
  const uint64_t block = uint64_t(quant::format_traits(o.type)->block_size == 0 ? 1 : quant::format_traits(o.type)->block_size);
  const uint64_t need = o.type == TensorType::I2_S ? quant::kQK_I2_S : block;
  if (sh.n_embd % need || sh.n_ff % need)
    return make_error("type " + std::string(tensor_type_name(o.type)) + " needs n_embd and n_ff to be multiples of " +
                      std::to_string(need) + " (got " + std::to_string(sh.n_embd) + ", " + std::to_string(sh.n_ff) + ")");
  const uint64_t eblock = uint64_t(quant::format_traits(o.embd_type)->block_size);
  if (sh.n_embd % eblock)
    return make_error("embedding type needs n_embd to be a multiple of " + std::to_string(eblock));

  gguf::Writer w;
  const std::string a = o.arch + ".";
  const uint32_t head_dim = sh.n_embd / sh.n_head;
  w.set_string("general.architecture", o.arch);
  w.set_string("general.name", "trit synthetic " + o.arch + " " + std::to_string(sh.n_embd) + "x" +
                                   std::to_string(sh.n_layer) + " " + std::string(tensor_type_name(o.type)));
  w.set_u32("general.file_type", ftype_of(o.type));
  w.set_u32("general.quantization_version", 2);
  w.set_u32(a + "context_length", sh.n_ctx);
  w.set_u32(a + "embedding_length", sh.n_embd);
  w.set_u32(a + "block_count", sh.n_layer);
  w.set_u32(a + "feed_forward_length", sh.n_ff);
  w.set_u32(a + "attention.head_count", sh.n_head);
  w.set_u32(a + "attention.head_count_kv", sh.n_head_kv);
  w.set_f32(a + "attention.layer_norm_rms_epsilon", 1e-5f);
  w.set_f32(a + "rope.freq_base", sh.rope_freq_base);
  w.set_u32(a + "rope.dimension_count", head_dim);
  if (o.activation) w.set_string(a + "hidden_activation", *o.activation);

  uint32_t n_vocab = 0;
  if (o.vocab == "byte") {
    n_vocab = write_byte_vocab(w, sh.n_vocab);
  } else {
    auto n = copy_vocab(o.vocab, w);
    if (!n) return n.error();
    n_vocab = *n;
  }
  w.set_u32(a + "vocab_size", n_vocab);

  // The tensor list, in llama.cpp's order and naming.
  const Fill mat_fill = (bitnet || is_ternary_type(o.type)) ? Fill::kTernary : Fill::kGaussian;
  const uint64_t E = sh.n_embd, F = sh.n_ff, Ekv = uint64_t(sh.n_head_kv) * head_dim;
  std::vector<Spec> specs;
  specs.push_back({"token_embd.weight", E, n_vocab, o.embd_type, Fill::kEmbedding});
  specs.push_back({"output_norm.weight", E, 0, TensorType::F32, Fill::kNorm});
  if (!bitnet && !o.tied_embeddings) specs.push_back({"output.weight", E, n_vocab, o.embd_type, Fill::kEmbedding});
  for (uint32_t il = 0; il < sh.n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    specs.push_back({p + "attn_norm.weight", E, 0, TensorType::F32, Fill::kNorm});
    specs.push_back({p + "attn_q.weight", E, E, o.type, mat_fill});
    specs.push_back({p + "attn_k.weight", E, Ekv, o.type, mat_fill});
    specs.push_back({p + "attn_v.weight", E, Ekv, o.type, mat_fill});
    specs.push_back({p + "attn_output.weight", E, E, o.type, mat_fill});
    if (bitnet) specs.push_back({p + "attn_sub_norm.weight", E, 0, TensorType::F32, Fill::kNorm});
    specs.push_back({p + "ffn_norm.weight", E, 0, TensorType::F32, Fill::kNorm});
    specs.push_back({p + "ffn_gate.weight", E, F, o.type, mat_fill});
    specs.push_back({p + "ffn_up.weight", E, F, o.type, mat_fill});
    specs.push_back({p + "ffn_down.weight", F, E, o.type, mat_fill});
    if (bitnet) specs.push_back({p + "ffn_sub_norm.weight", F, 0, TensorType::F32, Fill::kNorm});
  }

  // Generate in parallel (tensors are independent: each has its own seed), add in order.
  std::vector<std::vector<uint8_t>> data(specs.size());
  std::vector<Error> errors;
  std::mutex mu;
  std::atomic<size_t> next{0}, done{0};
  Progress progress("synth", specs.size());
  int n_threads = o.n_threads > 0 ? o.n_threads : int(std::max(1u, std::thread::hardware_concurrency()));
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < specs.size();) {
      auto r = make_tensor(specs[i], o.seed);
      std::lock_guard<std::mutex> lock(mu);
      if (!r) errors.push_back(r.error());
      else data[i] = std::move(r).value();
      progress.update(++done);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < n_threads; ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  progress.finish();
  if (!errors.empty()) return errors.front();

  Summary summary;
  summary.n_vocab = n_vocab;
  for (size_t i = 0; i < specs.size(); ++i) {
    const Spec& s = specs[i];
    std::vector<uint64_t> shape = s.rows ? std::vector<uint64_t>{s.cols, s.rows} : std::vector<uint64_t>{s.cols};
    summary.n_params += s.cols * (s.rows ? s.rows : 1);
    summary.file_bytes += data[i].size();
    TRIT_TRY(w.add_tensor(s.name, s.type, std::move(shape), std::move(data[i])));
  }
  TRIT_TRY(w.write(path));
  return summary;
}

}  // namespace trit::synth
