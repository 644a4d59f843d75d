// One thread's read of a memory stream at the machine's full speed: the bandwidth ceiling's read
// passes (src/bench) time these against decode, so they must read as fast as the CPU can.
#pragma once

#include <cstddef>
#include <cstdint>

namespace trit {

// The xor of the 64-bit little-endian words of p[0, n), the last partial word zero-padded (the same
// value for every ISA and every `streams`: a checksum that keeps the reads from being optimised
// away). Reads with the widest loads this CPU has (AVX-512, AVX2, else 64-bit words; TRIT_ISA does
// not cap it: it measures the machine, not the kernels), asking ahead as decode's kernels do
// (core/prefetch.h prefetch_stream_ahead).
//
// streams > 1 cuts the bytes into that many equal parts (kStreamTurnBytes multiples; the rest is
// read after them) and reads kStreamTurnBytes of each in turn: on an Intel Xeon (2-vCPU KVM guest,
// Emerald Rapids class) one thread read 1 GiB at 19-21 GB/s as 8 such streams against 14-17 as
// one, the hardware prefetchers following several pages at once (turns of 2 KiB gained little).
inline constexpr size_t kStreamTurnBytes = 256;
uint64_t xor_stream(const uint8_t* p, size_t n, int streams = 1);

// The portable loop, and the ISA it dispatches to ("scalar", "avx2", "avx512"), for tests.
uint64_t xor_stream_scalar(const uint8_t* p, size_t n, int streams = 1);
const char* xor_stream_isa();

// The bytes of each of `streams` parts of n bytes (a multiple of kStreamTurnBytes): the parts
// cover [0, streams * part), and the loops read [streams * part, n) after them in one stream.
inline size_t stream_part_bytes(size_t n, int streams) {
  return streams < 1 ? 0 : n / size_t(streams) / kStreamTurnBytes * kStreamTurnBytes;
}

namespace avx2 {
uint64_t xor_stream(const uint8_t* p, size_t n, int streams = 1);
}
namespace avx512 {
uint64_t xor_stream(const uint8_t* p, size_t n, int streams = 1);
}

}  // namespace trit
