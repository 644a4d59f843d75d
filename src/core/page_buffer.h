// A large, page-backed byte buffer: the weights rewritten at load (model/weights.cpp) and a
// session's KV cache (model/session.cpp).
//
// Decode streams every weight byte once per token, 4 KiB page after 4 KiB page, and each new page
// costs a TLB miss; each token's K/V rows land on a different page per KV head. The buffer starts
// on a 2 MiB boundary and asks for transparent huge pages (MADV_HUGEPAGE; Linux's default THP
// mode only grants them on request), so most of it is mapped by 2 MiB pages. It ends at its size
// rounded up to 4 KiB: the kernel only uses a huge page where a whole aligned 2 MiB lies inside
// the mapping, so resident memory does not grow past the bytes written. Pages come zeroed and are
// faulted in as they are written.
#pragma once

#include <cstddef>
#include <cstdint>

namespace trit {

class PageBuffer {
 public:
  PageBuffer() = default;
  // Throws std::bad_alloc when the memory cannot be mapped.
  explicit PageBuffer(size_t size);
  ~PageBuffer();
  PageBuffer(PageBuffer&& other) noexcept;
  PageBuffer& operator=(PageBuffer&& other) noexcept;
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;  // bytes mapped at data_ (size_ rounded up to the page size)
};

}  // namespace trit
