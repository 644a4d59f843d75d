#include "tokenizer/vocab.h"

#include <algorithm>
#include <array>
#include <limits>

#include "core/log.h"
#include "gguf/gguf.h"

namespace trit {

namespace {

constexpr std::string_view kModelKey = "tokenizer.ggml.model";

Error key_error(std::string_view key, const std::string& what) {
  return make_error("tokenizer metadata '" + std::string(key) + "': " + what);
}

// llama.cpp's tokenizer.ggml.pre -> pre-tokenizer table (llama_vocab::impl::load), for the types
// we implement. An unknown name is an error there too ("unknown pre-tokenizer type").
struct PreName {
  std::string_view name;
  PreType type;
};
constexpr std::array kPreNames = {
    PreName{"default", PreType::kDefault},      PreName{"llama3", PreType::kLlama3},
    PreName{"llama-v3", PreType::kLlama3},      PreName{"llama-bpe", PreType::kLlama3},
    PreName{"falcon3", PreType::kLlama3},       PreName{"falcon-h1", PreType::kLlama3},
    PreName{"pixtral", PreType::kLlama3},       PreName{"midm-2.0", PreType::kLlama3},
    PreName{"lfm2", PreType::kLlama3},          PreName{"jina-v5-nano", PreType::kLlama3},
    PreName{"gpt-2", PreType::kGpt2},           PreName{"phi-2", PreType::kGpt2},
    PreName{"jina-es", PreType::kGpt2},         PreName{"jina-de", PreType::kGpt2},
    PreName{"gigachat", PreType::kGpt2},        PreName{"jina-v2-es", PreType::kGpt2},
    PreName{"jina-v2-de", PreType::kGpt2},      PreName{"a.x-4.0", PreType::kGpt2},
    PreName{"mellum", PreType::kGpt2},          PreName{"modern-bert", PreType::kGpt2},
    PreName{"mpt", PreType::kGpt2},             PreName{"starcoder", PreType::kStarcoder},
    PreName{"refact", PreType::kStarcoder},     PreName{"smollm", PreType::kStarcoder},
    PreName{"codeshell", PreType::kStarcoder},  PreName{"falcon", PreType::kFalcon},
};

// Token texts llama.cpp treats as end-of-generation whatever their declared type (and then marks
// as control): the list in llama_vocab::impl::load, "maintain a list of tokens that cause
// end-of-generation".
constexpr std::string_view kEogTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
    "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
    "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
    "<\xef\xbd\x9c" "end\xe2\x96\x81" "of\xe2\x96\x81" "sentence\xef\xbd\x9c>", "[e~["};
// Texts that identify the EOT token when tokenizer.ggml.eot_token_id is absent, in priority
// order (llama.cpp takes whichever its hash map yields first; we take the first in this list).
constexpr std::string_view kEotTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
    "<EOT>", "_<EOT>", "[EOT]", "<\xef\xbd\x9c" "end\xe2\x96\x81" "of\xe2\x96\x81" "sentence\xef\xbd\x9c>",
    "<end_of_utterance>"};

uint32_t attr_from_token_type(int64_t t) {
  // llama_token_type: 0 undefined, 1 normal, 2 unknown, 3 control, 4 user defined, 5 unused, 6 byte.
  switch (t) {
    case 1: return token_attr::kNormal;
    case 2: return token_attr::kUnknown;
    case 3: return token_attr::kControl;
    case 4: return token_attr::kUserDefined;
    case 5: return token_attr::kUnused;
    case 6: return token_attr::kByte;
    default: return token_attr::kUndefined;
  }
}

Result<const gguf::Array*> get_array(const gguf::File& f, std::string_view key, bool required) {
  const gguf::Value* v = f.find(key);
  if (!v) {
    if (required) return key_error(key, "missing");
    return static_cast<const gguf::Array*>(nullptr);
  }
  const gguf::Array* a = v->as_array();
  if (!a) return key_error(key, "expected an array, got " + std::string(gguf::value_type_name(v->type())));
  return a;
}

Status read_flag(const gguf::File& f, std::string_view key, bool& out) {
  const gguf::Value* v = f.find(key);
  if (!v) return {};
  auto b = v->as_bool();
  if (!b) return key_error(key, "expected a bool, got " + std::string(gguf::value_type_name(v->type())));
  out = *b;
  return {};
}

// A special-token id from metadata: must name a token (llama.cpp warns and keeps its default;
// we refuse, so a broken file is noticed rather than silently tokenized differently).
Status read_id(const gguf::File& f, std::string_view key, size_t n_tokens, int32_t& out) {
  const gguf::Value* v = f.find(key);
  if (!v) return {};
  auto id = v->as_int();
  if (!id) return key_error(key, "expected an integer, got " + std::string(gguf::value_type_name(v->type())));
  if (*id < 0 || *id >= static_cast<int64_t>(n_tokens)) {
    return key_error(key, "token id " + std::to_string(*id) + " out of range [0, " +
                              std::to_string(n_tokens) + ")");
  }
  out = static_cast<int32_t>(*id);
  return {};
}

Status read_tokens(const gguf::File& f, Vocab& v) {
  constexpr std::string_view kTokens = "tokenizer.ggml.tokens";
  auto tokens = f.get_string_array(kTokens);
  if (!tokens.ok()) return key_error(kTokens, tokens.error().message);
  if (tokens->empty()) return key_error(kTokens, "missing or empty");
  const size_t n = tokens->size();
  if (n >= static_cast<size_t>(std::numeric_limits<int32_t>::max())) return key_error(kTokens, "too many tokens");

  auto scores = get_array(f, "tokenizer.ggml.scores", false);
  TRIT_TRY(scores);
  auto types = get_array(f, "tokenizer.ggml.token_type", false);
  TRIT_TRY(types);
  if (*scores && (*scores)->items.size() != n) {
    return key_error("tokenizer.ggml.scores", std::to_string((*scores)->items.size()) +
                                                  " entries for " + std::to_string(n) + " tokens");
  }
  if (*types && (*types)->items.size() != n) {
    return key_error("tokenizer.ggml.token_type", std::to_string((*types)->items.size()) +
                                                      " entries for " + std::to_string(n) + " tokens");
  }

  v.tokens.resize(n);
  for (size_t i = 0; i < n; ++i) {
    TokenData& t = v.tokens[i];
    t.text = std::move((*tokens)[i]);
    if (t.text.empty()) t.text = "[EMPTY_" + std::to_string(i) + "]";  // as llama.cpp
    if (*scores) {
      auto s = (*scores)->items[i].as_float();
      if (!s) return key_error("tokenizer.ggml.scores", "entry " + std::to_string(i) + " is not a number");
      t.score = static_cast<float>(*s);
    }
    if (*types) {
      auto ty = (*types)->items[i].as_int();
      if (!ty) return key_error("tokenizer.ggml.token_type", "entry " + std::to_string(i) + " is not an integer");
      t.attr = attr_from_token_type(*ty);
    }
  }
  return {};
}

Status read_merges(const gguf::File& f, Vocab& v) {
  constexpr std::string_view kMerges = "tokenizer.ggml.merges";
  if (!f.find(kMerges)) return key_error(kMerges, "missing (required for a BPE vocab)");
  auto merges = f.get_string_array(kMerges);
  if (!merges.ok()) return key_error(kMerges, merges.error().message);
  for (size_t i = 0; i < merges->size(); ++i) {
    const std::string& m = (*merges)[i];
    // llama.cpp splits at the first space after position 0, so a merge of a space piece parses.
    const size_t pos = m.find(' ', 1);
    if (pos == std::string::npos || pos + 1 >= m.size()) {
      return key_error(kMerges, "entry " + std::to_string(i) + " '" + m.substr(0, 64) +
                                    "' is not 'left right'");
    }
  }
  v.merges = std::move(*merges);
  return {};
}

Status apply_type_defaults(Vocab& v) {
  if (v.model == "llama") {
    v.type = VocabType::kSpm;
    v.bos = 1;
    v.eos = 2;
    v.unk = 0;
    v.add_space_prefix = true;
    v.add_bos = true;
    v.clean_spaces = false;
    v.pre_type = PreType::kDefault;
    return {};
  }
  if (v.model == "gpt2") {
    v.type = VocabType::kBpe;
    v.bos = 11;
    v.eos = 11;
    v.clean_spaces = true;
    if (v.pre.empty()) {
      TRIT_LOG_WARN("tokenizer: no tokenizer.ggml.pre; using llama.cpp's 'default' pre-tokenizer\n");
      v.pre_type = PreType::kDefault;
      return {};
    }
    for (const auto& p : kPreNames) {
      if (p.name == v.pre) {
        v.pre_type = p.type;
        if (p.type == PreType::kLlama3) {
          v.ignore_merges = true;
          v.add_bos = true;
        }
        return {};
      }
    }
    return key_error("tokenizer.ggml.pre", "pre-tokenizer '" + v.pre + "' is not supported");
  }
  return key_error(kModelKey, "tokenizer model '" + v.model + "' is not supported (llama, gpt2)");
}

// The fix-ups llama.cpp makes after reading ids: EOT/EOM detection by text, the EOG set, the
// control bit on EOG-looking tokens, gpt-oss's always-rendered tokens, the special-token cache.
void finalize_specials(Vocab& v, bool eot_given, bool eom_given) {
  const auto add_control = [&](int32_t id) { v.tokens[static_cast<size_t>(id)].attr |= token_attr::kControl; };
  if (!eot_given) {
    for (auto text : kEotTexts) {
      if (int32_t id = v.find(text); id != kNoToken) {
        v.eot = id;
        add_control(id);
        break;
      }
    }
  }
  if (!eom_given) {
    if (int32_t id = v.find("<|eom_id|>"); id != kNoToken) {
      v.eom = id;
      add_control(id);
    }
  }
  std::vector<int32_t> eog;
  for (auto text : kEogTexts) {
    if (int32_t id = v.find(text); id != kNoToken) {
      eog.push_back(id);
      add_control(id);
    }
  }
  for (int32_t id : {v.eos, v.eot, v.eom}) {
    if (id != kNoToken) eog.push_back(id);
  }
  std::sort(eog.begin(), eog.end());
  eog.erase(std::unique(eog.begin(), eog.end()), eog.end());
  v.eog_ids = std::move(eog);

  for (auto text : {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"}) {
    if (int32_t id = v.find(text); id != kNoToken) v.tokens[static_cast<size_t>(id)].attr = token_attr::kUserDefined;
  }

  constexpr uint32_t kSpecial = token_attr::kControl | token_attr::kUserDefined | token_attr::kUnknown;
  v.special_tokens.clear();
  for (int32_t id = 0; id < v.n_tokens(); ++id) {
    if (v.attr(id) & kSpecial) v.special_tokens.push_back(id);
  }
  std::stable_sort(v.special_tokens.begin(), v.special_tokens.end(), [&](int32_t a, int32_t b) {
    return v.tokens[static_cast<size_t>(a)].text.size() > v.tokens[static_cast<size_t>(b)].text.size();
  });
}

}  // namespace

Result<Vocab> Vocab::from_gguf(const gguf::File& f) {
  Vocab v;
  {
    const gguf::Value* m = f.find(kModelKey);
    if (!m || !m->as_string()) return key_error(kModelKey, "missing or not a string");
    v.model = *m->as_string();
    if (const gguf::Value* p = f.find("tokenizer.ggml.pre")) {
      if (!p->as_string()) return key_error("tokenizer.ggml.pre", "not a string");
      v.pre = *p->as_string();
    }
  }
  TRIT_TRY(apply_type_defaults(v));
  TRIT_TRY(read_tokens(f, v));
  if (v.type == VocabType::kBpe) TRIT_TRY(read_merges(f, v));

  v.token_to_id.reserve(v.tokens.size());
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    auto [it, inserted] = v.token_to_id.emplace(v.tokens[i].text, static_cast<int32_t>(i));
    if (!inserted) {
      // llama.cpp aborts on this (GGML_ASSERT id_to_token.size() == token_to_id.size()).
      return key_error("tokenizer.ggml.tokens", "token " + std::to_string(i) + " '" +
                                                    v.tokens[i].text.substr(0, 64) + "' duplicates token " +
                                                    std::to_string(it->second));
    }
  }

  // Defaults that point outside a small vocab are disabled, as llama.cpp does.
  const size_t n = v.tokens.size();
  for (int32_t* id : {&v.bos, &v.eos, &v.unk}) {
    if (*id >= 0 && static_cast<size_t>(*id) >= n) *id = kNoToken;
  }
  TRIT_TRY(read_id(f, "tokenizer.ggml.bos_token_id", n, v.bos));
  TRIT_TRY(read_id(f, "tokenizer.ggml.eos_token_id", n, v.eos));
  TRIT_TRY(read_id(f, "tokenizer.ggml.eot_token_id", n, v.eot));
  TRIT_TRY(read_id(f, "tokenizer.ggml.eom_token_id", n, v.eom));
  TRIT_TRY(read_id(f, "tokenizer.ggml.unknown_token_id", n, v.unk));
  TRIT_TRY(read_id(f, "tokenizer.ggml.padding_token_id", n, v.pad));
  TRIT_TRY(read_flag(f, "tokenizer.ggml.add_bos_token", v.add_bos));
  TRIT_TRY(read_flag(f, "tokenizer.ggml.add_eos_token", v.add_eos));
  TRIT_TRY(read_flag(f, "tokenizer.ggml.add_space_prefix", v.add_space_prefix));
  if (v.add_bos && v.bos == kNoToken) return key_error("tokenizer.ggml.add_bos_token", "set but there is no BOS token");
  if (v.add_eos && v.eos == kNoToken) return key_error("tokenizer.ggml.add_eos_token", "set but there is no EOS token");

  if (const gguf::Value* t = f.find("tokenizer.chat_template")) {
    if (!t->as_string()) return key_error("tokenizer.chat_template", "not a string");
    v.chat_template = *t->as_string();
  }

  for (const TokenData& t : v.tokens) {
    if ((t.attr & token_attr::kByte) && t.text.size() < 3) {
      return key_error("tokenizer.ggml.token_type", "byte token '" + t.text + "' is not of the form <0xXX>");
    }
  }

  finalize_specials(v, f.find("tokenizer.ggml.eot_token_id") != nullptr,
                    f.find("tokenizer.ggml.eom_token_id") != nullptr);
  return v;
}

}  // namespace trit
