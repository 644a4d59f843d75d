// The machine's measured peaks that the microbenchmarks report against (issue #6: "GB/s and GMAC/s
// against the machine's measured peak"): the read bandwidth of memory, and the multiply-accumulate
// rate of the instructions the kernels' inner loops are built on.
#pragma once

#include <cstdint>
#include <span>

#include "kernels/matmul_variants.h"

namespace trit::peak {

// The fastest of `passes` threaded read passes over `bytes` in each of read_once's two patterns
// (one stream per piece, or bench::kManyReadStreams): the read trit bench brackets each decode run
// with (src/bench read_once, in the faster pattern), so a kernel's fraction here and a model's
// fraction of the ceiling there mean the same thing.
double read_gb_s(std::span<const uint8_t> bytes, int threads, int passes);

// What a variant's inner loop multiplies: integer dot products (every quantized type) or float
// FMA lanes (F16 weights with F32 activations).
enum class Arith { kInt8Dot, kF32Fma };

// Multiply-accumulates per second of one thread running nothing but the widest instruction of
// that kind the ISA has, in enough independent chains to fill its pipes, measured once per
// process: AVX-512 VNNI vpdpbusd (64 per instruction) or 512-bit FMA (16); AVX2 vpmaddubsw +
// vpmaddwd (32 per pair) or 256-bit FMA (8). 0 where it is not measured (scalar, NEON: there is no
// ARM machine to time them on, and the benchmarks are not built there).
double gmac_s_per_thread(Isa isa, Arith arith);

}  // namespace trit::peak
