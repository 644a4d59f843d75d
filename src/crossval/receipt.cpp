// trit.crossval.receipt/1 (CONTRACT.md): who ran what, where, when. Every field is read from the
// running process and machine at the time of writing; nothing is a template.
#include <sys/utsname.h>

#include <chrono>
#include <ctime>

#include "core/build_info.h"
#include "core/cpu.h"
#include "crossval/report.h"

#ifndef TRIT_VERSION
#define TRIT_VERSION "unknown"
#endif
#ifndef TRIT_BUILD_TYPE
#define TRIT_BUILD_TYPE "unknown"
#endif

namespace trit::crossval {

std::string rfc3339_utc_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string compiler_string() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#else
  return "unknown";
#endif
}

nlohmann::json receipt_json(const LaneReport& r) {
  utsname u{};
  std::string os = "unknown", arch = "unknown";
  if (uname(&u) == 0) {
    os = std::string(u.sysname) + " " + u.release;
    arch = u.machine;
  }
  return {
      {"schema", "trit.crossval.receipt/1"},
      {"lane", r.lane},
      {"status", status_name(r.status)},
      {"reason", r.reason},
      {"timestamp", rfc3339_utc_now()},
      {"platform", {{"os", os}, {"arch", arch}, {"cpu", cpu_model_name()}, {"cpu_features", cpu_features_string()}}},
      {"compiler", compiler_string()},
      {"trit",
       {{"version", TRIT_VERSION}, {"git_sha", build_git_sha()}, {"build_type", TRIT_BUILD_TYPE}, {"ffi", ffi_enabled()},
        {"compat", r.compat}}},
      {"reference",
       {{"name", r.reference.name}, {"version", r.reference.version}, {"commit", r.reference.commit},
        {"library", r.reference.library}, {"shim", r.reference.shim}, {"system_info", r.reference.system_info}}},
      {"model",
       {{"path", r.model.path}, {"sha256", r.model.sha256}, {"arch", r.model.arch}, {"ftype", r.model.ftype},
        {"n_params", r.model.n_params}}},
      {"profile", r.profile.name},
      {"deviations", r.deviations},
      {"parity_file", r.parity_file},
      {"durations",
       {{"total_s", r.seconds_total}, {"load_s", r.seconds_load}, {"compare_s", r.run.timing.seconds}}},
  };
}

}  // namespace trit::crossval
