// One thread's read of a memory stream at the machine's full speed: the bandwidth ceiling's read
// passes (src/bench) time these against decode, so they must read as fast as the CPU can.
#pragma once

#include <cstddef>
#include <cstdint>

namespace trit {

// The xor of the 64-bit little-endian words of p[0, n), the last partial word zero-padded (the same
// value for every ISA: a checksum that keeps the reads from being optimised away). Reads with the
// widest loads this CPU has (AVX-512, AVX2, else 64-bit words; TRIT_ISA does not cap it: it
// measures the machine, not the kernels), asking ahead as decode's kernels do
// (core/prefetch.h prefetch_stream_ahead).
uint64_t xor_stream(const uint8_t* p, size_t n);

// The portable loop, and the ISA it dispatches to ("scalar", "avx2", "avx512"), for tests.
uint64_t xor_stream_scalar(const uint8_t* p, size_t n);
const char* xor_stream_isa();

namespace avx2 {
uint64_t xor_stream(const uint8_t* p, size_t n);
}
namespace avx512 {
uint64_t xor_stream(const uint8_t* p, size_t n);
}

}  // namespace trit
