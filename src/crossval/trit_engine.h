// trit itself as a crossval Engine: Model + Session + Tokenizer from one GGUF file.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "crossval/engine.h"
#include "model/model.h"

namespace trit::crossval {

class TritEngine;

struct TritEngineOptions {
  Compat compat = Compat::kNative;
  int n_ctx = 0;
  int n_threads = 0;
};

Result<std::unique_ptr<TritEngine>> open_trit_engine(const std::string& path, const TritEngineOptions& opts);

class TritEngine final : public Engine {
 public:
  ~TritEngine() override;
  int n_vocab() const override;
  int n_ctx() const override;
  Result<std::vector<int32_t>> tokenize(std::string_view text, bool add_special, bool parse_special) override;
  Result<std::vector<float>> eval_all(std::span<const int32_t> tokens) override;
  Result<std::vector<int32_t>> greedy(std::span<const int32_t> prompt, int n) override;

  const Model& model() const;
  Session& session();  // for tracing (Session::set_trace)

 private:
  friend Result<std::unique_ptr<TritEngine>> open_trit_engine(const std::string&, const TritEngineOptions&);
  struct Impl;
  explicit TritEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The file type in words ("TQ2_0", "mostly Q4_0"): the type of the largest 2-D weight class.
std::string model_ftype(const gguf::File& file);

}  // namespace trit::crossval
