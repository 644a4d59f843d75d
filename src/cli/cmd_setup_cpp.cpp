// `trit setup-cpp`: obtain a reference engine and build its lane shim, then print the environment a
// user needs (CONTRACT.md). The work is in the repo's scripts (the one place that pins versions):
//   llama:  scripts/fetch-llama-cpp.sh (npm registry -> cache) + scripts/build-shim.sh
//   bitnet: scripts/build-shim-bitnet.sh --dir <checkout> (bitnet.cpp itself is built by the user)
// Both scripts are stamp-checked, so a second run is a fast cache hit. Their messages go to stderr;
// stdout carries only the environment (--emit sh|fish|json).
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "crossval/ref/reference.h"

#ifndef TRIT_SOURCE_DIR
#define TRIT_SOURCE_DIR "."
#endif

namespace trit::cli {
namespace {

namespace fs = std::filesystem;
constexpr int kExitNoReference = 3;

struct SetupArgs {
  std::string lane = "llama", emit = "sh", dir;
};

std::string env_or(const char* name, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

// Single-quoted for sh and fish (both accept '...' with '\'' for a quote).
std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a script with its stdout sent to stderr; returns its exit status (127: could not run).
int run_script(const fs::path& script, const std::string& args, const std::string& env = "") {
  if (!fs::exists(script)) return 127;
  const std::string cmd = env + quote(script.string()) + args + " 1>&2";
  std::fprintf(stderr, "trit setup-cpp: %s\n", cmd.c_str());
  const int rc = std::system(cmd.c_str());
  if (rc == -1) return 127;
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 1;
}

struct EnvVar {
  std::string name, value;
  bool path_list = false;  // prepended to the current value (LD_LIBRARY_PATH)
};

void emit(const std::string& how, const std::string& lane, const std::vector<EnvVar>& vars) {
  if (how == "json") {
    nlohmann::json env = nlohmann::json::object();
    for (const EnvVar& v : vars) {
      const std::string cur = env_or(v.name.c_str());
      env[v.name] = v.path_list && !cur.empty() ? v.value + ":" + cur : v.value;
    }
    std::cout << nlohmann::json{{"lane", lane}, {"env", env}}.dump(2) << "\n";
    return;
  }
  for (const EnvVar& v : vars) {
    if (how == "fish") {
      std::cout << "set -gx " << v.name << " " << quote(v.value) << (v.path_list ? " $" + v.name : "") << "\n";
    } else if (v.path_list) {
      std::cout << "export " << v.name << "=" << quote(v.value) << "\"${" << v.name << ":+:$" << v.name << "}\"\n";
    } else {
      std::cout << "export " << v.name << "=" << quote(v.value) << "\n";
    }
  }
}

int setup_llama(const SetupArgs& a, std::vector<EnvVar>* vars) {
  const fs::path scripts = fs::path(TRIT_SOURCE_DIR) / "scripts";
  // The scripts install into ${TRIT_CACHE_DIR}/llama_cpp; a --dir (or TRIT_LLAMA_CPP_DIR) must be
  // such a directory, so that discovery finds the shim there afterwards.
  std::string cache_env;
  fs::path lane_dir = fs::path(crossval::default_cache_dir()) / "llama_cpp";
  const std::string want = a.dir.empty() ? env_or("TRIT_LLAMA_CPP_DIR") : a.dir;
  if (!want.empty()) {
    const fs::path d = fs::absolute(want).lexically_normal();
    const fs::path dir = d.filename().empty() ? d.parent_path() : d;
    if (dir.filename() != "llama_cpp") {
      std::fprintf(stderr,
                   "trit setup-cpp: --dir / TRIT_LLAMA_CPP_DIR for lane llama must end in /llama_cpp (the scripts "
                   "install into <cache>/llama_cpp), got %s\n",
                   dir.c_str());
      return kExitUsage;
    }
    lane_dir = dir;
    cache_env = "TRIT_CACHE_DIR=" + quote(dir.parent_path().string()) + " ";
  }
  for (const char* s : {"fetch-llama-cpp.sh", "build-shim.sh"}) {
    const int rc = run_script(scripts / s, "", cache_env);
    if (rc == 127) {
      std::fprintf(stderr, "trit setup-cpp: cannot run %s (this trit was built from %s)\n", (scripts / s).c_str(),
                   TRIT_SOURCE_DIR);
      return kExitNoReference;
    }
    if (rc != 0) return rc == kExitNoReference ? kExitNoReference : 1;
  }
  vars->push_back({"TRIT_LLAMA_CPP_DIR", lane_dir.string()});
  vars->push_back({"LD_LIBRARY_PATH", (lane_dir / "lib").string(), true});
  return 0;
}

int setup_bitnet(const SetupArgs& a, std::vector<EnvVar>* vars) {
  const std::string dir = a.dir.empty() ? env_or("BITNET_CPP_DIR") : a.dir;
  if (dir.empty()) {
    std::fprintf(stderr,
                 "trit setup-cpp: lane bitnet needs a bitnet.cpp checkout that you built (docs/lane-a.md): "
                 "--dir PATH or BITNET_CPP_DIR\n");
    return kExitNoReference;
  }
  const fs::path checkout = fs::absolute(dir).lexically_normal();
  const fs::path script = fs::path(TRIT_SOURCE_DIR) / "scripts" / "build-shim-bitnet.sh";
  if (!fs::exists(script)) {
    std::fprintf(stderr, "trit setup-cpp: %s is missing: this source tree has no Lane A shim build yet\n",
                 script.c_str());
    return kExitNoReference;
  }
  const int rc = run_script(script, " --dir " + quote(checkout.string()));
  if (rc != 0) return rc == kExitNoReference ? kExitNoReference : 1;
  const fs::path build = checkout / "build" / "3rdparty" / "llama.cpp";
  vars->push_back({"BITNET_CPP_DIR", checkout.string()});
  vars->push_back({"LD_LIBRARY_PATH", (build / "src").string() + ":" + (build / "ggml" / "src").string(), true});
  return 0;
}

int run_setup(const SetupArgs& a) {
  if (a.emit != "sh" && a.emit != "fish" && a.emit != "json") {
    std::fprintf(stderr, "trit setup-cpp: --emit: expected sh, fish or json, got '%s'\n", a.emit.c_str());
    return kExitUsage;
  }
  std::vector<EnvVar> vars;
  int rc = 0;
  if (a.lane == "llama") {
    rc = setup_llama(a, &vars);
  } else if (a.lane == "bitnet") {
    rc = setup_bitnet(a, &vars);
  } else {
    std::fprintf(stderr, "trit setup-cpp: --lane: expected llama or bitnet, got '%s'\n", a.lane.c_str());
    return kExitUsage;
  }
  if (rc != 0) return rc;
  emit(a.emit, a.lane, vars);
  std::fprintf(stderr, "trit setup-cpp: lane %s ready (eval the output above, e.g. eval \"$(trit setup-cpp)\")\n",
               a.lane.c_str());
  return 0;
}

}  // namespace

Command add_setup_cpp(CLI::App& root) {
  auto a = std::make_shared<SetupArgs>();
  auto* app = root.add_subcommand("setup-cpp", "Fetch a reference engine, build its crossval shim, print the env");
  app->add_option("--lane", a->lane, "llama (fetched from the npm registry) | bitnet (your own build)")
      ->capture_default_str();
  app->add_option("--emit", a->emit, "sh | fish | json (on stdout)")->capture_default_str();
  app->add_option("--dir", a->dir,
                  "bitnet: the bitnet.cpp checkout (else BITNET_CPP_DIR); llama: a <dir>/llama_cpp to install "
                  "into (else TRIT_LLAMA_CPP_DIR, else the cache)");
  app->footer("Exit codes: 0 ready, 1 a script failed, 3 the reference cannot be obtained or built, 4 bad usage.");
  return {app, [a] { return run_setup(*a); }};
}

}  // namespace trit::cli
