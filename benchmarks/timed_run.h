// The timed loop every microbenchmark shares: one call of the kernel per benchmark iteration, on
// the next copy of its data in a memory-resident ring (dram_ring.h) or on the one resident copy,
// with the read bandwidth of the ring's bytes measured just before and after (the fastest of two
// passes on each side, trit bench's ceiling read), and the counters reported against the peaks.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "dram_ring.h"
#include "machine_peak.h"

namespace trit::bench_run {

struct PerCall {
  double bytes = 0;  // what one call reads (reported as `bytes_counter` GB/s)
  double macs = 0;   // multiply-accumulates of one call (GMAC/s)
};

// kernel(data) runs once per iteration; data is resident, or the ring's next copy when the ring
// has copies. Counters: bytes_counter and GMAC/s; mac_frac against mac_peak (all threads) when it
// is > 0; read_GB/s and bw_frac when the ring was used.
template <class Kernel>
void run(benchmark::State& state, const bench_ring::Copies& ring, const uint8_t* resident, int threads, PerCall per_call,
         double mac_peak, const char* bytes_counter, Kernel&& kernel) {
  constexpr int kPasses = 2;
  const bool dram = ring.count != 0;
  const double read_before = dram ? peak::read_gb_s(ring.used, threads, kPasses) : 0.0;
  size_t next = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    const uint8_t* data = resident;
    if (dram) {
      data = ring.at(next);
      next = next + 1 == ring.count ? 0 : next + 1;
    }
    kernel(data);
  }
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double read_after = dram ? peak::read_gb_s(ring.used, threads, kPasses) : 0.0;
  if (sec <= 0) return;

  const double it = double(state.iterations());
  const double gb_s = it * per_call.bytes / sec / 1e9;
  const double gmac_s = it * per_call.macs / sec / 1e9;
  state.counters[bytes_counter] = gb_s;
  state.counters["GMAC/s"] = gmac_s;
  if (mac_peak > 0) state.counters["mac_frac"] = gmac_s / mac_peak;
  if (const double read = std::max(read_before, read_after); read > 0) {
    state.counters["read_GB/s"] = read;
    state.counters["bw_frac"] = gb_s / read;
  }
}

}  // namespace trit::bench_run
