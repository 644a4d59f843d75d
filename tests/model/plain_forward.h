// An independent, plain double-precision forward pass written from the equations in
// REFERENCE.md section 2, with no code shared with src/model/ beyond dequantization.
// The end-to-end test compares trit's Session against it.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "quant/formats.h"

namespace trit::testing {

struct PlainModel {
  int E = 0, L = 0, H = 0, KV = 0, F = 0, V = 0, hd = 0;
  double eps = 1e-5, base = 10000;
  bool neox = false, bitnet = false, relu2 = false;
  std::vector<double> embd, out_norm, head;
  struct Layer {
    std::vector<double> attn_norm, wq, wk, wv, wo, attn_sub_norm, ffn_norm, gate, up, down, ffn_sub_norm;
  };
  std::vector<Layer> layers;
};

inline std::vector<double> dq(const gguf::File& f, const std::string& name) {
  const auto* t = f.find_tensor(name);
  if (!t) return {};
  const int64_t cols = int64_t(t->shape[0]), rows = int64_t(t->n_rows());
  std::vector<float> tmp(size_t(cols * rows));
  if (!quant::dequantize_tensor(t->type, t->data, rows, cols, tmp.data()).ok()) return {};
  return {tmp.begin(), tmp.end()};
}

inline PlainModel load_plain(const gguf::File& f, bool relu2) {
  PlainModel m;
  const std::string a = *f.get_string("general.architecture");
  m.E = int(*f.get_uint(a + ".embedding_length"));
  m.L = int(*f.get_uint(a + ".block_count"));
  m.H = int(*f.get_uint(a + ".attention.head_count"));
  m.KV = int(*f.get_uint(a + ".attention.head_count_kv"));
  m.F = int(*f.get_uint(a + ".feed_forward_length"));
  m.base = *f.get_float(a + ".rope.freq_base");
  m.hd = m.E / m.H;
  m.bitnet = a != "llama";
  m.neox = m.bitnet;
  m.relu2 = relu2;
  m.embd = dq(f, "token_embd.weight");
  m.V = int(m.embd.size() / size_t(m.E));
  m.out_norm = dq(f, "output_norm.weight");
  m.head = f.find_tensor("output.weight") ? dq(f, "output.weight") : m.embd;
  for (int l = 0; l < m.L; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    m.layers.push_back({dq(f, p + "attn_norm.weight"), dq(f, p + "attn_q.weight"), dq(f, p + "attn_k.weight"),
                        dq(f, p + "attn_v.weight"), dq(f, p + "attn_output.weight"), dq(f, p + "attn_sub_norm.weight"),
                        dq(f, p + "ffn_norm.weight"), dq(f, p + "ffn_gate.weight"), dq(f, p + "ffn_up.weight"),
                        dq(f, p + "ffn_down.weight"), dq(f, p + "ffn_sub_norm.weight")});
  }
  return m;
}

inline std::vector<double> rmsnorm(const std::vector<double>& x, const std::vector<double>& w, double eps) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double s = 1.0 / std::sqrt(ss / double(x.size()) + eps);
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * s * w[i];
  return y;
}

// y = W x for W stored as [rows][cols].
inline std::vector<double> matvec(const std::vector<double>& W, const std::vector<double>& x, int rows) {
  const size_t cols = x.size();
  std::vector<double> y(size_t(rows), 0.0);
  for (int r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c) y[size_t(r)] += W[size_t(r) * cols + c] * x[c];
  return y;
}

inline void rope(std::vector<double>& v, int n_heads, int hd, int pos, double base, bool neox) {
  for (int h = 0; h < n_heads; ++h) {
    double* x = v.data() + h * hd;
    for (int i = 0; i < hd / 2; ++i) {
      const double theta = pos * std::pow(base, -2.0 * i / hd);
      const int a = neox ? i : 2 * i, b = neox ? i + hd / 2 : 2 * i + 1;
      const double x0 = x[a], x1 = x[b];
      x[a] = x0 * std::cos(theta) - x1 * std::sin(theta);
      x[b] = x0 * std::sin(theta) + x1 * std::cos(theta);
    }
  }
}

// Logits for every position of `tokens`.
inline std::vector<std::vector<double>> plain_forward(const PlainModel& m, const std::vector<int>& tokens) {
  const int T = int(tokens.size()), Ekv = m.KV * m.hd;
  std::vector<std::vector<double>> x(static_cast<size_t>(T));
  for (int t = 0; t < T; ++t) x[size_t(t)].assign(m.embd.begin() + tokens[size_t(t)] * m.E, m.embd.begin() + (tokens[size_t(t)] + 1) * m.E);
  for (const auto& L : m.layers) {
    std::vector<std::vector<double>> q(static_cast<size_t>(T)), k(static_cast<size_t>(T)), v(static_cast<size_t>(T));
    for (int t = 0; t < T; ++t) {
      auto h = rmsnorm(x[size_t(t)], L.attn_norm, m.eps);
      q[size_t(t)] = matvec(L.wq, h, m.E);
      k[size_t(t)] = matvec(L.wk, h, Ekv);
      v[size_t(t)] = matvec(L.wv, h, Ekv);
      rope(q[size_t(t)], m.H, m.hd, t, m.base, m.neox);
      rope(k[size_t(t)], m.KV, m.hd, t, m.base, m.neox);
    }
    for (int t = 0; t < T; ++t) {
      std::vector<double> att(size_t(m.E), 0.0);
      for (int h = 0; h < m.H; ++h) {
        const int g = h / (m.H / m.KV);
        std::vector<double> s(size_t(t + 1));
        double mx = -1e300;
        for (int j = 0; j <= t; ++j) {
          double d = 0;
          for (int i = 0; i < m.hd; ++i) d += q[size_t(t)][size_t(h * m.hd + i)] * k[size_t(j)][size_t(g * m.hd + i)];
          s[size_t(j)] = d / std::sqrt(double(m.hd));
          mx = std::max(mx, s[size_t(j)]);
        }
        double sum = 0;
        for (auto& e : s) sum += (e = std::exp(e - mx));
        for (int j = 0; j <= t; ++j)
          for (int i = 0; i < m.hd; ++i) att[size_t(h * m.hd + i)] += s[size_t(j)] / sum * v[size_t(j)][size_t(g * m.hd + i)];
      }
      if (m.bitnet) att = rmsnorm(att, L.attn_sub_norm, m.eps);
      auto o = matvec(L.wo, att, m.E);
      for (int i = 0; i < m.E; ++i) x[size_t(t)][size_t(i)] += o[size_t(i)];
      auto f = rmsnorm(x[size_t(t)], L.ffn_norm, m.eps);
      auto g = matvec(L.gate, f, m.F), u = matvec(L.up, f, m.F);
      for (int i = 0; i < m.F; ++i) {
        const double a = g[size_t(i)];
        g[size_t(i)] = (m.relu2 ? (a > 0 ? a * a : 0.0) : a / (1 + std::exp(-a))) * u[size_t(i)];
      }
      if (m.bitnet) g = rmsnorm(g, L.ffn_sub_norm, m.eps);
      auto d = matvec(L.down, g, m.E);
      for (int i = 0; i < m.E; ++i) x[size_t(t)][size_t(i)] += d[size_t(i)];
    }
  }
  std::vector<std::vector<double>> logits(static_cast<size_t>(T));
  for (int t = 0; t < T; ++t) logits[size_t(t)] = matvec(m.head, rmsnorm(x[size_t(t)], m.out_norm, m.eps), m.V);
  return logits;
}

}  // namespace trit::testing
