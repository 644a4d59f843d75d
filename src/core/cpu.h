// CPU features, read once (CPUID on x86, the auxiliary vector on ARM Linux). kernels/dispatch chooses from these.
// Also the machine's installed memory, which bounds what a context may allocate.
#pragma once

#include <cstdint>
#include <string>

namespace trit {

struct CpuFeatures {
  bool avx = false;
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vnni = false;
  bool gfni = false;  // GF(2^8) affine byte transforms (ternary code extraction in the VNNI kernels)
  bool avx512vbmi = false;  // byte permutes (vpermt2b: the TQ1_0 16-row kernel's base-3 table)
  bool avxvnni = false;
  bool amd = false;  // vendor "AuthenticAMD": decode's prefetch choices (core/prefetch.h)
  bool neon = false;
  bool dotprod = false;
  // One core's L1 data cache (sysconf; 32 KiB, the smallest of the x86-64 CPUs with AVX2 we run
  // on, where the OS does not say): the AVX2 prompt tiles' passes (kernels/matmul_ternary_avx2.cpp).
  int64_t l1d_bytes = 32768;
};

const CpuFeatures& cpu_features();
std::string cpu_features_string();  // "avx2 fma f16c", for logs and receipts
std::string cpu_model_name();       // from CPUID brand string or /proc/cpuinfo; "unknown" otherwise
int64_t physical_memory_bytes();    // installed RAM (sysconf); 0 where unknown

}  // namespace trit
