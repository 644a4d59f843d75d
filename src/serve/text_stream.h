// Token pieces -> text that is safe to send to a client as it is generated: only whole UTF-8
// characters (a byte-fallback token can be half of one), and never the start of a stop string,
// which is held back until it either completes (generation stops before it) or cannot.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace trit::serve {

class TextStream {
 public:
  explicit TextStream(std::vector<std::string> stop = {}) : stop_(std::move(stop)) {}

  // Adds a piece; returns the text that can be sent now (often empty). Once a stop string has
  // appeared, stopped() is true and nothing from the stop string on is ever returned.
  std::string push(std::string_view piece);
  // At the end of generation: whatever was held back (an unfinished UTF-8 character is sent as
  // is; the JSON writer turns it into U+FFFD).
  std::string finish();

  bool stopped() const { return stopped_; }
  // Everything returned so far by push() and finish().
  const std::string& sent() const { return sent_; }

 private:
  std::string take(size_t n);

  std::vector<std::string> stop_;
  std::string pending_;
  std::string sent_;
  bool stopped_ = false;
};

// Bytes at the end of `s` that begin a UTF-8 character still missing continuation bytes.
size_t incomplete_utf8_tail(std::string_view s);

}  // namespace trit::serve
