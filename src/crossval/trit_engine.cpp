#include "crossval/trit_engine.h"

#include <algorithm>
#include <map>

#include "core/tensor_type.h"
#include "crossval/metrics.h"
#include "tokenizer/tokenizer.h"

namespace trit::crossval {

struct TritEngine::Impl {
  std::unique_ptr<Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<Session> session;
};

Result<std::unique_ptr<TritEngine>> open_trit_engine(const std::string& path, const TritEngineOptions& opts) {
  auto impl = std::make_unique<TritEngine::Impl>();
  ModelOptions mo;
  mo.compat = opts.compat;
  mo.n_ctx = opts.n_ctx;
  mo.n_threads = opts.n_threads;
  auto model = Model::load(path, mo);
  if (!model.ok()) return model.error();
  impl->model = std::move(*model);
  auto tok = Tokenizer::from_gguf(impl->model->file());
  if (!tok.ok()) return make_error(path + ": tokenizer: " + tok.error().message);
  impl->tokenizer = std::move(*tok);
  impl->session = std::make_unique<Session>(*impl->model);
  return std::unique_ptr<TritEngine>(new TritEngine(std::move(impl)));
}

TritEngine::TritEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TritEngine::~TritEngine() = default;

int TritEngine::n_vocab() const { return static_cast<int>(impl_->model->hparams().n_vocab); }
int TritEngine::n_ctx() const { return impl_->session->n_ctx(); }
const Model& TritEngine::model() const { return *impl_->model; }
Session& TritEngine::session() { return *impl_->session; }

Result<std::vector<int32_t>> TritEngine::tokenize(std::string_view text, bool add_special, bool parse_special) {
  return impl_->tokenizer->tokenize(text, add_special, parse_special);
}

Result<std::vector<float>> TritEngine::eval_all(std::span<const int32_t> tokens) {
  std::vector<float> logits;
  impl_->session->reset();
  Status s = impl_->session->eval(tokens, &logits, /*all_logits=*/true);
  impl_->session->reset();
  if (!s.ok()) return s.error();
  return logits;
}

Result<std::vector<int32_t>> TritEngine::greedy(std::span<const int32_t> prompt, int n) {
  std::vector<int32_t> out;
  std::vector<float> logits;
  Session& s = *impl_->session;
  s.reset();
  Status st = s.eval(prompt, &logits, /*all_logits=*/false);
  for (int i = 0; st.ok() && i < n; ++i) {
    const int32_t next = arg_max(logits);  // lowest id on ties, like the reference shim
    out.push_back(next);
    if (i + 1 < n) st = s.eval(std::span<const int32_t>(&next, 1), &logits, false);
  }
  s.reset();
  if (!st.ok()) return st.error();
  return out;
}

std::string model_ftype(const gguf::File& file) {
  // Count elements per type over the 2-D weights (norms and embeddings excluded: they are F32/F16
  // in every ftype), so a TQ2_0 model reads "TQ2_0", not "F16".
  std::map<std::string_view, uint64_t> by_type;
  for (const gguf::TensorInfo& t : file.tensors()) {
    if (t.shape.size() < 2 || t.name.find("token_embd") != std::string::npos || t.name == "output.weight") continue;
    by_type[tensor_type_name(t.type)] += t.n_elements();
  }
  if (by_type.empty()) return "unknown";
  auto best = std::max_element(by_type.begin(), by_type.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  std::string name(best->first);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::toupper(c); });
  return by_type.size() == 1 ? name : "mostly " + name;
}

}  // namespace trit::crossval
