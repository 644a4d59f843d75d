#include "convert/convert.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <regex>
#include <thread>

#include "convert/ternary_tensor.h"
#include "core/fp16.h"
#include "gguf/gguf.h"
#include "quant/formats.h"

namespace trit::convert {
namespace {

bool is_bitnet_arch(const std::string& a) { return a == "bitnet" || a == "bitnet-b1.58" || a == "bitnet-25"; }

// Renames general.architecture and every `<from>.` key to `<to>.`, keeping each key's position.
std::vector<gguf::KeyValue> renamed_metadata(const gguf::File& f, const std::string& from, const std::string& to) {
  std::vector<gguf::KeyValue> kv = f.metadata();
  if (from == to) return kv;
  const std::string p = from + ".";
  for (auto& e : kv) {
    if (e.key == "general.architecture") e.value = gguf::Value{to};
    else if (e.key.compare(0, p.size(), p) == 0) e.key = to + "." + e.key.substr(p.size());
  }
  return kv;
}

struct Job {
  const gguf::TensorInfo* info;
  bool convert;
};

struct Converted {
  std::vector<uint8_t> data;
  TensorReport report;
};

Result<std::vector<float>> dequantize(const gguf::TensorInfo& t) {
  const int64_t row_len = int64_t(t.shape[0]), n_rows = int64_t(t.n_rows());
  std::vector<float> w(size_t(row_len * n_rows));
  TRIT_TRY(quant::dequantize_tensor(t.type, t.data, n_rows, row_len, w.data()));
  return w;
}

Result<Converted> convert_tensor(const gguf::TensorInfo& t, const Options& o) {
  Converted c;
  c.report = {t.name, t.type, o.type, "", false};
  const int64_t row_len = int64_t(t.shape[0]), n = int64_t(t.n_elements());
  auto fail = [&](const std::string& why) {
    return make_error("tensor '" + t.name + "' (" + std::string(tensor_type_name(t.type)) + ", row length " +
                      std::to_string(row_len) + "): " + why);
  };
  if (t.type == o.type) {
    c.data.assign(t.data, t.data + t.n_bytes);
    c.report.how = "copied (already " + std::string(tensor_type_name(o.type)) + ")";
    return c;
  }
  if (!quant::format_traits(t.type)) return fail("trit cannot read this type");
  if (is_ternary_type(o.type)) {
    TernaryTensor tt;
    if (is_ternary_type(t.type)) {
      auto u = unpack_ternary(t.type, {t.data, size_t(t.n_bytes)}, row_len, n);
      if (!u) return fail(u.error().message);
      tt = std::move(*u);
      c.report.how = "re-packed";
    } else {
      auto w = dequantize(t);
      if (!w) return fail(w.error().message);
      std::string how;
      tt = ternarize_floats(*w, &how);
      c.report.how = how == "exact" ? "ternarized (values already ternary: kept exactly)" : "ternarized (absmean)";
      // Quantizing floats to TQ means an fp16 block scale (as ggml's quantize_row_tq*_ref of the
      // ternary values): part of the quantization, not a lossy re-pack.
      if (o.type != TensorType::I2_S) {
        const float s = *tt.tensor_scale, s16 = fp16_to_fp32(fp32_to_fp16(s));
        if (s16 != s && how == "exact") c.report.how = "ternarized (values already ternary; scale rounded to fp16)";
        tt.tensor_scale = s16;
      }
    }
    std::string lossy;
    auto packed = pack_ternary(o.type, tt, row_len, &lossy);
    if (!packed) return fail(packed.error().message);
    if (!lossy.empty()) {
      if (!o.allow_lossy) return fail(lossy + " (pass --allow-lossy to accept)");
      c.report.how += " (lossy: " + lossy + ")";
      c.report.lossy = true;
    }
    c.data = std::move(*packed);
    return c;
  }
  // Non-ternary targets: dequantize, then the target's reference quantizer.
  const auto* traits = quant::format_traits(o.type);
  if (!traits || !(o.type == TensorType::Q8_0 || o.type == TensorType::F32 || o.type == TensorType::F16 ||
                   o.type == TensorType::BF16)) {
    return fail("cannot convert to " + std::string(tensor_type_name(o.type)));
  }
  auto bytes = quant::quantized_tensor_bytes(o.type, int64_t(t.n_rows()), row_len);
  if (!bytes) return fail(bytes.error().message);
  auto w = dequantize(t);
  if (!w) return fail(w.error().message);
  c.data.resize(size_t(*bytes));
  TRIT_TRY(quant::quantize_tensor(o.type, w->data(), int64_t(t.n_rows()), row_len, c.data.data()));
  c.report.how = "dequantized and re-quantized";
  return c;
}

}  // namespace

bool is_weight_matrix(const std::string& name) {
  static const std::regex re(R"(blk\.[0-9]+\.(attn_q|attn_k|attn_v|attn_output|ffn_gate|ffn_up|ffn_down)\.weight)");
  return std::regex_match(name, re);
}

uint32_t ftype_of(TensorType t) {
  switch (t) {
    case TensorType::F32: return 0;   // LLAMA_FTYPE_ALL_F32
    case TensorType::F16: return 1;   // LLAMA_FTYPE_MOSTLY_F16
    case TensorType::Q8_0: return 7;  // LLAMA_FTYPE_MOSTLY_Q8_0
    case TensorType::BF16: return 32;
    case TensorType::TQ1_0: return 36;
    case TensorType::TQ2_0: return 37;
    case TensorType::I2_S: return 40;  // bitnet.cpp's llama.h: LLAMA_FTYPE_MOSTLY_I2_S
    default: return 0;
  }
}

Result<Report> convert_model(const std::string& in, const std::string& out, const Options& o) {
  auto file = gguf::File::open(in);
  if (!file) return file.error();
  const gguf::File& f = *file;

  Report report;
  report.arch_from = f.get_string("general.architecture").value_or("");
  report.arch_to = o.arch.empty() ? report.arch_from : o.arch;
  if (!o.arch.empty() && o.arch != report.arch_from) {
    if (!is_bitnet_arch(report.arch_from) || !is_bitnet_arch(o.arch)) {
      return make_error("--arch: can rename only between bitnet, bitnet-b1.58 and bitnet-25 (file is '" +
                        report.arch_from + "', asked for '" + o.arch + "')");
    }
  }

  std::vector<Job> jobs;
  for (const auto& t : f.tensors()) jobs.push_back({&t, is_weight_matrix(t.name)});
  if (std::none_of(jobs.begin(), jobs.end(), [](const Job& j) { return j.convert; })) {
    return make_error(in + ": no weight matrices (blk.N.attn_q.weight, ...) to convert");
  }

  // Convert in parallel (tensors are independent), add in file order.
  std::vector<Result<Converted>> results(jobs.size(), Result<Converted>(make_error("not run")));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < jobs.size();) {
      if (jobs[i].convert) results[i] = convert_tensor(*jobs[i].info, o);
    }
  };
  const int n_threads = o.n_threads > 0 ? o.n_threads : int(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> threads;
  for (int t = 1; t < n_threads; ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();

  gguf::Writer w(f.alignment());
  for (auto& e : renamed_metadata(f, report.arch_from, report.arch_to)) w.set(e.key, e.value);
  if (f.find("general.file_type")) w.set_u32("general.file_type", ftype_of(o.type));

  for (size_t i = 0; i < jobs.size(); ++i) {
    const gguf::TensorInfo& t = *jobs[i].info;
    report.bytes_in += t.n_bytes;
    std::vector<uint8_t> data;
    TensorType type = t.type;
    if (jobs[i].convert) {
      if (!results[i]) return results[i].error();
      Converted& c = *results[i];
      report.n_lossy += c.report.lossy;
      report.tensors.push_back(c.report);
      data = std::move(c.data);
      type = o.type;
    } else {
      data.assign(t.data, t.data + t.n_bytes);
      ++report.n_copied;
    }
    report.bytes_out += data.size();
    TRIT_TRY(w.add_tensor(t.name, type, t.shape, std::move(data)));
  }
  TRIT_TRY(w.write(out));
  return report;
}

}  // namespace trit::convert
