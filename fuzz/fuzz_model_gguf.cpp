// Fuzz target: bytes as a model file -> gguf::File::parse -> read_hparams -> bind_weights, and for
// files small enough to run, Model::load + Session::eval of two tokens. Reaches the loader with
// hyperparameters that lie (heads that do not divide the width, tensor shapes that disagree with
// the metadata, vocabularies that disagree with token_embd) and the forward pass behind it.
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "model/hparams.h"
#include "model/model.h"
#include "model/weights.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trit;
  auto f = gguf::File::parse(std::span<const uint8_t>(data, size), "fuzz.gguf");
  if (!f.ok()) return 0;
  auto hp = read_hparams(*f);
  if (!hp.ok()) return 0;
  auto w = bind_weights(*f, *hp);
  if (!w.ok()) return 0;
  // Run only what is cheap: the forward pass costs ~ n_layer * n_embd * (n_embd + n_ff) + vocab.
  const uint64_t cost = uint64_t(hp->n_layer) * hp->n_embd * (uint64_t(hp->n_embd) + hp->n_ff) +
                        uint64_t(hp->n_vocab) * hp->n_embd;
  if (hp->n_vocab < 2 || cost > (uint64_t(1) << 22)) return 0;
  // Model::load reads a path: hand it an in-memory file.
  const int fd = memfd_create("fuzz-model", 0);
  if (fd < 0) return 0;
  if (write(fd, data, size) != static_cast<ssize_t>(size)) {
    close(fd);
    return 0;
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  auto m = Model::load(path, {.n_ctx = 8, .n_threads = 1});
  if (m.ok()) {
    Session s(**m);
    std::vector<float> logits;
    const std::vector<int32_t> tokens = {0, 1};
    if (s.eval(tokens, &logits, true).ok() && logits.size() != 2 * size_t((*m)->hparams().n_vocab)) std::abort();
  }
  close(fd);
  return 0;
}
