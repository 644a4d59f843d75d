// Asking for memory ahead of its use (software prefetch, into L1).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/cpu.h"

namespace trit {

// Asks for every 64-byte cache line of [p, p + bytes). Always inlined, and so must be any helper
// around it: GCC treats a function whose only effect is a prefetch as having none and drops its
// calls (kernels/attention_avx512.cpp's first prefetching helper compiled to nothing).
__attribute__((always_inline)) inline void prefetch_lines(const void* p, size_t bytes) {
  const auto* c = static_cast<const char*>(p);
  for (size_t o = 0; o < bytes; o += 64) __builtin_prefetch(c + o);
}

// A memory stream (decode's weights, the bandwidth ceiling's read passes) asks, as it enters each
// 4 KiB page, for one line kStreamAheadBytes further on. The hardware prefetchers here do not
// follow a stream across a 4 KiB page (huge pages or not), so each page began with a demand miss
// at full latency; one early touch of the page ahead has it streaming by the time the walk gets
// there. On the 2-core Zen 5 VM, tokens alternating in one process with and without: 2B4T TQ2_0
// decode 39.6 -> 31.7 ms a token at 1 thread, 22.9 -> 19.0 at 2 (every format likewise,
// src/kernels/README.md); a read pass over its weights with 512-bit loads 35 -> 40 GB/s at 1
// thread, 65 -> 74 at 2. One line per 1 or 2 KiB measured slower than one per page, one per 512
// bytes slower still (that read pass: 32 GB/s); 16 to 256 KiB ahead measured the same, 8 KiB less.
constexpr size_t kStreamAheadBytes = size_t(64) << 10;
constexpr uintptr_t kStreamPageBytes = 4096;

// Called once per step of a stream that reads `step` bytes (at most a page) at p, the steps
// contiguous: exactly one step a page asks (the one that starts within `step` bytes of the
// page's start). Address arithmetic only: a prefetch past the end of a mapping does not fault.
__attribute__((always_inline)) inline void prefetch_stream_ahead(const void* p, size_t step) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if ((a & (kStreamPageBytes - 1)) < step) __builtin_prefetch(reinterpret_cast<const char*>(a + kStreamAheadBytes));
}

// A decode kernel that computes for about half as long as memory takes to feed it keeps too few
// of its stream's lines in flight: the out-of-order window ends a few KiB ahead of the instruction
// that waits on a line, and the page-ahead prefetch only starts each page. The one-token I2_S, Q4_0
// and F16 kernels therefore also ask for each 64-byte line they read kLinesAheadBytes further on, at
// the point where they read it. On the 2-core Zen 5 VM, the two builds' `trit bench` alternating
// (5-10 runs each, medians of the paired fraction, 1 / 2 threads): 2B4T I2_S 0.941 -> 0.957 /
// 0.871 -> 0.889; 1B Q4_0 0.945 -> 0.969 / 0.886 -> 0.902 (its F16 head without); 1B F16 0.924 ->
// 1.035 / 0.858 -> 0.919; 2B4T TQ2_0 with it in its F16 head only 0.914 -> 0.953 / 0.857 -> 0.873.
// The TQ2_0 kernel itself ran slower with it at 2 threads (0.857 -> 0.813 with both lines of each
// lane, 0.846 -> 0.798 with one, 0.865 -> 0.772 with both 8 KiB ahead) and the same or slower at
// 1, and so did Q8_0 (a byte a weight: 0.879 -> 0.794 at 2 threads). On an Intel Xeon with
// AVX512-FP16 and AMX (2 vCPUs, 12-13 GB/s a core), the same comparison went the other way for
// them: TQ2_0 0.788 -> 0.911 at 1 thread and 0.772 -> 0.883 at 2 (2 KiB ahead 0.849, 8 KiB
// 0.877-0.882), Q8_0 0.833 -> 0.919, and TQ1_0 (instead of whole blocks 4 ahead) 0.804 -> 0.827
// at 2 threads. So those three kernels ask for lines ahead on every CPU but AMD's
// (every_kernel_asks_lines_ahead). A prefetch written as a builtin moved: GCC's scheduler
// gathered a block's 16 of them at its top (and that build measured otherwise than this one), so
// this one is a volatile asm, which stays where it is written. A kernel that walks several
// streams may ask for a shorter distance (kAhead): TQ2_0 and I2_S in 8 streams ask 1 KiB ahead.
constexpr size_t kLinesAheadBytes = 4096;

template <size_t kAhead = kLinesAheadBytes>
__attribute__((always_inline)) inline void prefetch_line_ahead(const void* p) {
#if defined(__x86_64__)
  asm volatile("prefetcht0 %0" : : "m"(*(static_cast<const char*>(p) + kAhead)));
#else
  __builtin_prefetch(static_cast<const char*>(p) + kAhead);
#endif
}

// Whether the TQ2_0, TQ1_0 and Q8_0 one-token kernels ask for each line ahead too (above): each
// runs one of two compiled loops, chosen outside the loop (once per call; Q8_0 once per row group).
inline bool every_kernel_asks_lines_ahead() { return !cpu_features().amd; }

// Whether one-token kernels on the 16-row layouts walk several parts of their rows side by side,
// block by block, instead of one front-to-back stream (kernels/x16_vnni.h ternary_one_token, the
// F16 kernel's one_token). On the Intel Xeon above one thread read 1 GiB at 19-21 GB/s as 8
// interleaved streams against 14-17 as one (kernels/stream_read.h), and 2B4T TQ2_0 decode (its
// ternary matrices in 8 streams, its F16 head in 2) went from 12.0 to 13.3 tokens/s at 1 thread
// and 21.2 to 23.3 at 2 (builds alternating; 0.757 -> 0.880 and 0.760 -> 0.870 of the paired
// ceiling, which reads in 8 streams there). Not measured on AMD, whose kernels keep the stream
// they were tuned with.
inline bool one_token_reads_streams() { return !cpu_features().amd; }

}  // namespace trit
