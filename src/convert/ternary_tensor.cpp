#include "convert/ternary_tensor.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>

#include "quant/i2_s.h"
#include "quant/rounding.h"
#include "quant/ternary.h"
#include "quant/tq1_0.h"
#include "quant/tq2_0.h"

namespace trit::convert {
namespace {

std::string fmt(const char* f, double a, double b = 0, double c = 0) {
  char buf[160];
  std::snprintf(buf, sizeof buf, f, a, b, c);
  return buf;
}

// Packs one block of 256 codes into a TQ block whose d is `d`. The reference quantizer sees the
// codes themselves as floats (block absmax 1, or 0 for a block of zeros), so it reproduces them
// exactly; then d is set to the wanted bits.
template <class Block>
Block pack_block(const int8_t* codes, fp16_t d, void (*quantize)(const float*, Block*, int64_t)) {
  float f[quant::kQK_K];
  for (int64_t j = 0; j < quant::kQK_K; ++j) f[j] = float(codes[j]);
  Block b{};
  quantize(f, &b, quant::kQK_K);
  b.d = d;
  return b;
}

template <class Block>
void unpack_blocks(std::span<const uint8_t> data, int64_t n, TernaryTensor& t,
                   void (*unpack)(const Block&, int8_t*)) {
  const int64_t nb = n / quant::kQK_K;
  t.block_d.resize(size_t(nb));
  for (int64_t b = 0; b < nb; ++b) {
    Block blk;
    std::memcpy(&blk, data.data() + b * int64_t(sizeof(Block)), sizeof(Block));
    unpack(blk, t.codes.data() + b * quant::kQK_K);
    t.block_d[size_t(b)] = blk.d;
  }
}

bool block_has_weight(const int8_t* codes) {
  return std::any_of(codes, codes + quant::kQK_K, [](int8_t c) { return c != 0; });
}

// The per-block d a TQ tensor gets: the source's own blocks, or the tensor scale in fp16.
Result<fp16_t> tq_block_d(const TernaryTensor& t, int64_t b, std::string* lossy) {
  if (!t.block_d.empty()) return t.block_d[size_t(b)];
  if (!t.tensor_scale) return make_error("ternary tensor has no scale");
  const float s = *t.tensor_scale;
  const fp16_t h = fp32_to_fp16(s);
  if (lossy && lossy->empty() && fp16_to_fp32(h) != s) {
    *lossy = fmt("tensor scale %.9g is not an fp16 value; TQ stores %.9g (relative error %.2g)", double(s),
                 double(fp16_to_fp32(h)), std::fabs(double(fp16_to_fp32(h)) - s) / std::fabs(double(s)));
  }
  return h;
}

template <class Block>
Result<std::vector<uint8_t>> pack_tq(const TernaryTensor& t, std::string* lossy,
                                     void (*quantize)(const float*, Block*, int64_t)) {
  const int64_t n = int64_t(t.codes.size()), nb = n / quant::kQK_K;
  if (!t.block_d.empty() && int64_t(t.block_d.size()) != nb) return make_error("ternary tensor: block count mismatch");
  std::vector<uint8_t> out(size_t(nb) * sizeof(Block));
  for (int64_t b = 0; b < nb; ++b) {
    auto d = tq_block_d(t, b, lossy);
    if (!d) return d.error();
    const Block blk = pack_block<Block>(t.codes.data() + b * quant::kQK_K, *d, quantize);
    std::memcpy(out.data() + b * int64_t(sizeof(Block)), &blk, sizeof(Block));
  }
  return out;
}

Result<std::vector<uint8_t>> pack_i2_s(const TernaryTensor& t, std::string* lossy) {
  const int64_t n = int64_t(t.codes.size());
  std::vector<uint8_t> out(size_t(quant::i2_s_tensor_bytes(n)));
  if (t.tensor_scale) {
    quant::pack_i2_s(t.codes.data(), n, *t.tensor_scale, out.data());
    return out;
  }
  // From TQ blocks: the one d shared by every block that holds a weight.
  std::set<fp16_t> ds;
  for (size_t b = 0; b < t.block_d.size(); ++b) {
    if (block_has_weight(t.codes.data() + b * quant::kQK_K)) ds.insert(t.block_d[b]);
  }
  if (ds.size() <= 1) {
    const fp16_t d = ds.empty() ? (t.block_d.empty() ? fp16_t(0) : t.block_d[0]) : *ds.begin();
    quant::pack_i2_s(t.codes.data(), n, fp16_to_fp32(d), out.data());
    return out;
  }
  // Several scales cannot be one I2_S scale: re-ternarize the values with absmean.
  float lo = INFINITY, hi = 0;
  for (fp16_t d : ds) lo = std::min(lo, std::fabs(fp16_to_fp32(d))), hi = std::max(hi, std::fabs(fp16_to_fp32(d)));
  std::vector<float> w(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    w[size_t(i)] = float(t.codes[size_t(i)]) * fp16_to_fp32(t.block_d[size_t(i / quant::kQK_K)]);
  }
  const TernaryTensor r = ternarize_floats(w, nullptr);
  if (lossy) {
    *lossy = fmt("blocks carry %.0f different scales (|d| %.6g..%.6g) and I2_S has one per tensor; values were "
                 "re-ternarized with absmean",
                 double(ds.size()), double(lo), double(hi));
  }
  quant::pack_i2_s(r.codes.data(), n, *r.tensor_scale, out.data());
  return out;
}

}  // namespace

bool is_ternary_type(TensorType t) {
  return t == TensorType::I2_S || t == TensorType::TQ1_0 || t == TensorType::TQ2_0;
}

Result<TernaryTensor> unpack_ternary(TensorType type, std::span<const uint8_t> data, int64_t row_len, int64_t n) {
  auto bytes = tensor_bytes(type, uint64_t(row_len), uint64_t(n));
  if (!is_ternary_type(type) || !bytes) {
    return make_error("cannot unpack a " + std::string(tensor_type_name(type)) + " tensor of row length " +
                      std::to_string(row_len) + " as ternary");
  }
  if (data.size() < *bytes) {
    return make_error("ternary tensor: " + std::to_string(data.size()) + " bytes, " + std::to_string(*bytes) +
                      " expected");
  }
  TernaryTensor t;
  t.codes.resize(size_t(n));
  switch (type) {
    case TensorType::I2_S:
      if (row_len % quant::kQK_I2_S) return make_error("I2_S rows must be a multiple of 128");
      quant::unpack_i2_s(data.data(), n, t.codes.data());
      t.tensor_scale = quant::i2_s_scale(data.data(), n);
      break;
    case TensorType::TQ2_0: unpack_blocks<quant::TQ2_0Block>(data, n, t, quant::unpack_tq2_0); break;
    case TensorType::TQ1_0: unpack_blocks<quant::TQ1_0Block>(data, n, t, quant::unpack_tq1_0); break;
    default: break;
  }
  return t;
}

Result<std::vector<uint8_t>> pack_ternary(TensorType type, const TernaryTensor& t, int64_t row_len,
                                          std::string* lossy) {
  if (lossy) lossy->clear();
  const int64_t need = type == TensorType::I2_S ? quant::kQK_I2_S : quant::kQK_K;
  if (!is_ternary_type(type)) return make_error(std::string(tensor_type_name(type)) + " is not a ternary type");
  if (row_len <= 0 || row_len % need || t.codes.size() % size_t(row_len)) {
    return make_error(std::string(tensor_type_name(type)) + " needs rows of a multiple of " + std::to_string(need) +
                      " elements, got " + std::to_string(row_len));
  }
  switch (type) {
    case TensorType::I2_S: return pack_i2_s(t, lossy);
    case TensorType::TQ2_0: return pack_tq<quant::TQ2_0Block>(t, lossy, quant::quantize_row_tq2_0_ref);
    case TensorType::TQ1_0: return pack_tq<quant::TQ1_0Block>(t, lossy, quant::quantize_row_tq1_0_ref);
    default: return make_error("unreachable");
  }
}

TernaryTensor ternarize_floats(std::span<const float> w, std::string* how) {
  TernaryTensor t;
  t.codes.resize(w.size());
  float a = 0;
  for (float v : w) a = std::max(a, std::fabs(v));
  const bool ternary = a > 0 && std::isfinite(a) &&
                       std::all_of(w.begin(), w.end(), [a](float v) { return v == 0 || v == a || v == -a; });
  if (ternary) {
    for (size_t i = 0; i < w.size(); ++i) t.codes[i] = int8_t(w[i] > 0 ? 1 : (w[i] < 0 ? -1 : 0));
    t.tensor_scale = a;
    if (how) *how = "exact";
    return t;
  }
  const float scale = quant::absmean_scale(w.data(), int64_t(w.size()));
  quant::ternarize(w.data(), scale, t.codes.data(), int64_t(w.size()));
  t.tensor_scale = scale;
  if (how) *how = "absmean";
  return t;
}

}  // namespace trit::convert
