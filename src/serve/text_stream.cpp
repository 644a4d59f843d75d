#include "serve/text_stream.h"

#include <algorithm>

namespace trit::serve {

size_t incomplete_utf8_tail(std::string_view s) {
  // Walk back over at most 3 continuation bytes to the lead byte, then compare the length the
  // lead byte announces with what is there.
  const size_t n = s.size();
  for (size_t back = 1; back <= std::min<size_t>(4, n); ++back) {
    const auto c = static_cast<unsigned char>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    const size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;  // only continuation bytes: invalid, nothing to wait for
}

std::string TextStream::take(size_t n) {
  std::string out = pending_.substr(0, n);
  pending_.erase(0, n);
  sent_ += out;
  return out;
}

std::string TextStream::push(std::string_view piece) {
  if (stopped_) return {};
  pending_ += piece;

  // A stop string cannot straddle sent text and pending_: any suffix that could begin one is held.
  size_t first = std::string::npos;
  for (const std::string& s : stop_) first = std::min(first, pending_.find(s));
  if (first != std::string::npos) {
    stopped_ = true;
    std::string out = take(first);
    pending_.clear();
    return out;
  }

  size_t hold = incomplete_utf8_tail(pending_);
  for (const std::string& s : stop_) {
    // The longest suffix of pending_ that is a proper prefix of s.
    for (size_t k = std::min(s.size() - 1, pending_.size()); k > hold; --k) {
      if (std::string_view(pending_).substr(pending_.size() - k) == std::string_view(s).substr(0, k)) {
        hold = k;
        break;
      }
    }
  }
  return take(pending_.size() - hold);
}

std::string TextStream::finish() {
  if (stopped_) return {};
  return take(pending_.size());
}

}  // namespace trit::serve
