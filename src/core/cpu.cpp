#include "core/cpu.h"

#include <unistd.h>

#include <fstream>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#elif defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace trit {
namespace {

CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  unsigned a, b, c, d;
  if (__get_cpuid(0, &a, &b, &c, &d)) f.amd = b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163;  // "Auth" "enti" "cAMD"
  if (__get_cpuid(1, &a, &b, &c, &d)) {
    f.fma = c & (1u << 12);
    f.avx = c & (1u << 28);
    f.f16c = c & (1u << 29);
    const bool osxsave = c & (1u << 27);
    if (osxsave) {
      unsigned xlo, xhi;
      __asm__("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
      const bool ymm = (xlo & 6) == 6;
      const bool zmm = (xlo & 0xe6) == 0xe6;
      if (!ymm) f.avx = f.fma = f.f16c = false;
      if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        f.avx2 = ymm && (b & (1u << 5));
        f.avx512f = zmm && (b & (1u << 16));
        f.avx512bw = zmm && (b & (1u << 30));
        f.avx512vl = zmm && (b & (1u << 31));
        f.avx512vnni = zmm && (c & (1u << 11));
        f.gfni = ymm && (c & (1u << 8));
        f.avx512vbmi = zmm && (c & (1u << 1));
      }
      if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) f.avxvnni = ymm && (a & (1u << 4));
    }
  }
#elif defined(__aarch64__)
  f.neon = true;  // part of the base AArch64 ISA
#if defined(__linux__)
  // The Armv8.2 dot product (sdot/udot) is optional: the kernel reports it in the auxiliary vector.
  f.dotprod = (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#elif defined(__ARM_FEATURE_DOTPROD)
  f.dotprod = true;
#endif
#endif
#if defined(_SC_LEVEL1_DCACHE_SIZE)
  if (const long l1d = sysconf(_SC_LEVEL1_DCACHE_SIZE); l1d >= 4096) f.l1d_bytes = l1d;
#endif
  return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

std::string cpu_features_string() {
  const auto& f = cpu_features();
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(f.avx, "avx");
  add(f.avx2, "avx2");
  add(f.fma, "fma");
  add(f.f16c, "f16c");
  add(f.avx512f, "avx512f");
  add(f.avx512bw, "avx512bw");
  add(f.avx512vl, "avx512vl");
  add(f.avx512vnni, "avx512vnni");
  add(f.avx512vbmi, "avx512vbmi");
  add(f.gfni, "gfni");
  add(f.avxvnni, "avxvnni");
  add(f.neon, "neon");
  add(f.dotprod, "dotprod");
  return s.empty() ? "none" : s;
}

int64_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? int64_t(pages) * int64_t(page) : 0;
}

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        auto v = line.substr(colon + 1);
        auto start = v.find_first_not_of(' ');
        return start == std::string::npos ? v : v.substr(start);
      }
    }
  }
  return "unknown";
}

}  // namespace trit
