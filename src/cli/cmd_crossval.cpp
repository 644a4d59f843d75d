// `trit crossval`: trit against the reference engines (Lane B llama.cpp, Lane A bitnet.cpp), per
// CONTRACT.md: tokenization gate, teacher-forced logits at every position, greedy decode; one
// tolerance profile decides; parity + receipt JSON with --out-dir. The work is in src/crossval/.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/command.h"
#include "core/sha256.h"
#include "crossval/ref/reference.h"
#include "crossval/report.h"
#include "crossval/runner.h"
#include "crossval/summary.h"
#include "crossval/trace.h"
#include "crossval/trit_engine.h"
#include "synth/synth.h"

namespace trit::cli {
namespace {

using namespace trit::crossval;
namespace fs = std::filesystem;

constexpr int kExitParity = 1, kExitTokenization = 2, kExitNoReference = 3;

struct CrossvalArgs {
  std::string ref_model;  // hidden, for tests: the reference loads this file instead of --model
  std::string model, lane = "llama", prompts_file, tolerance = "strict", format = "text", out_dir, ref_dir;
  std::vector<std::string> prompts;
  int positions = 0, decode = 8, threads = 0, ctx = 2048;
  bool require_ref = false;
  std::string trace;   // "" off, "on" always, "auto" only when the lane fails
  int trace_pos = -1;  // position to trace (-1: the first divergence, else the last position)
};

// The built-in default: a small synthetic BitNet model, written once into the cache. TQ2_0 ternary
// weights, BitNet's own format: it passes the strict profile against llama.cpp (cos 1.0000000, KL ~1e-9
// on x86, where trit reproduces llama.cpp's TQ2_0 arithmetic; tests/crossval/parity_test.cpp).
Result<std::string> default_model() {
  const fs::path path =
      fs::path(default_cache_dir()) / "models" / "crossval-default-bitnet-tq2_0-256x2x4x4x512-s42.gguf";
  if (fs::exists(path)) return path.string();
  synth::Options o;
  o.arch = "bitnet";
  o.shape = *synth::parse_shape("256x2x4x4x512");
  o.type = TensorType::TQ2_0;
  o.seed = 42;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::fprintf(stderr, "trit crossval: creating the default model %s\n", path.c_str());
  auto r = synth::write_model(o, path.string());
  if (!r.ok()) return r.error();
  return path.string();
}

void write_json(const fs::path& path, const nlohmann::json& j) {
  std::ofstream f(path);
  f << j.dump(2) << "\n";
  if (!f) throw std::runtime_error("--out-dir: cannot write " + path.string());
}

LaneReport run_lane(Lane lane, const std::string& model_path, const RunOptions& ro, const CrossvalArgs& a,
                    int* exit_code) {
  const auto t0 = std::chrono::steady_clock::now();
  auto since = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  LaneReport r;
  r.lane = std::string(lane_name(lane));
  r.profile = ro.profile;
  r.model.path = model_path;
  const Compat compat = lane == Lane::kLlama ? Compat::kLlamaCpp : Compat::kBitnetCpp;
  r.compat = std::string(compat_name(compat));

  auto ours = open_trit_engine(model_path, {.compat = compat, .n_ctx = a.ctx, .n_threads = a.threads});
  if (!ours.ok()) {
    r.status = LaneStatus::kError;
    r.reason = "trit could not load the model: " + ours.error().message;
    *exit_code = kExitUsage;
    return r;
  }
  const Model& m = (*ours)->model();
  r.model.arch = m.hparams().arch_name;
  r.model.ftype = model_ftype(m.file());
  r.model.n_params = m.n_params();
  if (auto sha = sha256_file(model_path); sha.ok()) r.model.sha256 = *sha;
  r.deviations = m.deviations();

  RefLoad load = load_reference(lane, a.ref_dir);
  if (!load.ref) {
    r.status = LaneStatus::kSkipped;
    r.reason = load.reason;
    r.fix = load.fix;
    r.seconds_total = since();
    if (a.require_ref) *exit_code = std::max(*exit_code, kExitNoReference);
    return r;
  }
  r.reference = load.ref->info();
  const std::string& ref_path = a.ref_model.empty() ? model_path : a.ref_model;
  auto theirs = load.ref->open(ref_path, {.n_ctx = a.ctx, .n_threads = a.threads});
  r.seconds_load = since();
  if (!theirs.ok()) {
    r.status = LaneStatus::kError;
    r.reason = theirs.error().message;
    *exit_code = std::max(*exit_code, kExitParity);
    return r;
  }
  r.run = run_parity(**ours, **theirs, ro);
  r.ran = true;
  r.status = r.run.status;
  r.reason = r.run.reason;
  const bool failed = r.status == LaneStatus::kFail && r.run.tokenization_match;
  if (a.trace == "on" || (a.trace == "auto" && failed)) {
    if (r.run.cases.empty()) {
      r.trace_note = "not run: no evaluated prompt (" + r.reason + ")";
    } else {
      std::vector<std::optional<int>> div;
      std::vector<int> lens;
      for (const CaseResult& c : r.run.cases) {
        div.push_back(c.first_divergence);
        lens.push_back(static_cast<int>(c.tokens.size()));
      }
      const TracePoint p = choose_trace_point(div, lens, a.trace_pos);
      const CaseResult& c = r.run.cases[static_cast<size_t>(p.case_index)];
      auto t = trace_position((*ours)->session(), **theirs, c.tokens, p.position, ro.profile.cos_min);
      if (t.ok()) {
        r.trace = std::move(*t);
        r.trace->case_index = p.case_index;
      } else {
        r.trace_note = "failed: " + t.error().message;
      }
    }
  } else if (a.trace == "auto") {
    r.trace_note = "auto: not needed (no divergence)";
  }
  r.seconds_total = since();
  if (!r.run.tokenization_match) {
    *exit_code = std::max(*exit_code, kExitTokenization);
  } else if (r.status != LaneStatus::kPass) {
    *exit_code = *exit_code == 0 ? kExitParity : *exit_code;
  }
  return r;
}

int run_crossval(const CrossvalArgs& a) {
  auto profile = profile_by_name(a.tolerance);
  if (!profile.ok()) {
    std::fprintf(stderr, "trit crossval: %s\n", profile.error().message.c_str());
    return kExitUsage;
  }
  std::vector<Lane> lanes;
  if (a.lane == "both") {
    lanes = {Lane::kLlama, Lane::kBitnet};
  } else if (auto l = lane_from_name(a.lane); l.ok()) {
    lanes = {*l};
  } else {
    std::fprintf(stderr, "trit crossval: --lane: expected llama, bitnet or both, got '%s'\n", a.lane.c_str());
    return kExitUsage;
  }
  if (a.format != "text" && a.format != "json" && a.format != "md") {
    std::fprintf(stderr, "trit crossval: --format: expected text, json or md, got '%s'\n", a.format.c_str());
    return kExitUsage;
  }
  if (!a.trace.empty() && a.trace != "on" && a.trace != "auto") {
    std::fprintf(stderr, "trit crossval: --trace: expected no value or 'auto', got '%s'\n", a.trace.c_str());
    return kExitUsage;
  }

  RunOptions ro;
  ro.prompts = a.prompts;
  if (!a.prompts_file.empty()) {
    std::ifstream f(a.prompts_file);
    if (!f) {
      std::fprintf(stderr, "trit crossval: --prompts: cannot read %s\n", a.prompts_file.c_str());
      return kExitUsage;
    }
    for (std::string line; std::getline(f, line);) {
      if (!line.empty()) ro.prompts.push_back(line);
    }
  }
  if (ro.prompts.empty()) ro.prompts = {"Hello world, this is a test.", "The quick brown fox jumps over the lazy dog."};
  ro.positions = a.positions;
  ro.decode = a.decode;
  ro.profile = *profile;

  std::string model_path = a.model;
  if (model_path.empty()) {
    auto d = default_model();
    if (!d.ok()) {
      std::fprintf(stderr, "trit crossval: default model: %s\n", d.error().message.c_str());
      return kExitUsage;
    }
    model_path = *d;
  }
  if (!fs::is_regular_file(model_path)) {
    std::fprintf(stderr, "trit crossval: --model: no such file %s\n", model_path.c_str());
    return kExitUsage;
  }
  if (!a.out_dir.empty()) {
    std::error_code ec;
    fs::create_directories(a.out_dir, ec);
    if (ec) {
      std::fprintf(stderr, "trit crossval: --out-dir: cannot create %s: %s\n", a.out_dir.c_str(), ec.message().c_str());
      return kExitUsage;
    }
  }

  int exit_code = 0;
  nlohmann::json all = nlohmann::json::array();
  for (Lane lane : lanes) {
    LaneReport r = run_lane(lane, model_path, ro, a, &exit_code);
    if (!a.out_dir.empty()) {
      r.parity_file = "crossval-parity-" + r.lane + ".json";
      write_json(fs::path(a.out_dir) / r.parity_file, parity_json(r));
      write_json(fs::path(a.out_dir) / ("crossval-receipt-" + r.lane + ".json"), receipt_json(r));
    }
    std::fputs(render_text(r).c_str(), stderr);
    if (a.format == "json") all.push_back(parity_json(r));
    if (a.format == "md") std::cout << render_markdown(r) << "\n";
  }
  if (a.format == "json") std::cout << (all.size() == 1 ? all[0] : all).dump(2) << "\n";
  return exit_code;
}

struct SummaryArgs {
  std::vector<std::string> dirs;
  std::string out = "crossval-summary.md";
  std::string artifacts_url;
  std::vector<std::string> non_blocking = {"bitnet"};
};

// `trit crossval summary DIR... [-o FILE]`: crossval-summary.md from the lanes' artifacts, generated
// from their JSON only (src/crossval/summary.cpp). `-o -` prints it on stdout.
int run_summary(const SummaryArgs& a) {
  SummaryOptions options;
  options.artifacts_url = a.artifacts_url;
  options.non_blocking_lanes = a.non_blocking;
  auto md = render_crossval_summary(a.dirs, options);
  if (!md) {
    std::fprintf(stderr, "trit crossval summary: %s\n", md.error().message.c_str());
    return kExitUsage;
  }
  if (a.out == "-") {
    std::cout << *md;
    return 0;
  }
  const std::string tmp = a.out + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    f << *md;
    if (!f) {
      std::fprintf(stderr, "trit crossval summary: cannot write %s\n", tmp.c_str());
      return kExitUsage;
    }
  }
  std::error_code ec;
  fs::rename(tmp, a.out, ec);
  if (ec) {
    std::fprintf(stderr, "trit crossval summary: cannot write %s: %s\n", a.out.c_str(), ec.message().c_str());
    return kExitUsage;
  }
  std::fprintf(stderr, "trit crossval summary: wrote %s\n", a.out.c_str());
  return 0;
}

}  // namespace

Command add_crossval(CLI::App& root) {
  auto a = std::make_shared<CrossvalArgs>();
  auto* app = root.add_subcommand("crossval", "Cross-validate trit against llama.cpp (Lane B) / bitnet.cpp (Lane A)");
  app->add_option("--model", a->model, "GGUF model (default: a small synthetic BitNet model, created once and cached)");
  app->add_option("--lane", a->lane, "llama | bitnet | both")->capture_default_str();
  app->add_option("--prompt", a->prompts, "prompt text (repeatable)");
  app->add_option("--prompts", a->prompts_file, "file with one prompt per line");
  app->add_option("--positions", a->positions,
                  "positions per prompt: truncate, or extend by repeating the prompt (0: the prompt's own length)");
  app->add_option("--decode", a->decode, "greedy tokens generated by both engines per prompt")->capture_default_str();
  app->add_option("--tolerance", a->tolerance, "profile: " + profile_names())->capture_default_str();
  app->add_option("--threads", a->threads, "threads for both engines (0: all cores)");
  app->add_option("--ctx", a->ctx, "context size for both engines")->capture_default_str();
  app->add_option("--format", a->format, "text | json | md (json and md on stdout, text on stderr)")
      ->capture_default_str();
  app->add_option("--out-dir", a->out_dir, "write crossval-parity-<lane>.json and crossval-receipt-<lane>.json here");
  app->add_option("--ref-dir", a->ref_dir, "lane directory holding shim/libtrit_ref_<lane>.so (else env, then cache)");
  app->add_flag("--require-ref", a->require_ref, "exit 3 when a reference is unavailable (default: skip the lane)");
  CLI::Option* trace = app->add_option("--trace", a->trace,
                  "localize the first diverging layer and tensor: compare every named intermediate of both "
                  "engines at one position; `--trace auto`: only when the lane fails")
      ->expected(0, 1);
  // Hidden (empty group): proves the check can fail, by giving trit a deliberately corrupted copy
  // while the reference loads the intact model (issue 4, item 7).
  app->add_option("--ref-model", a->ref_model, "the reference loads this model instead of --model (tests)")
      ->group("");
  app->add_option("--trace-pos", a->trace_pos,
                  "position to trace (default: the first divergence, else the last position of prompt 0)");
  app->footer(
      "Exit codes: 0 pass (skipped lanes too, unless --require-ref), 1 parity outside tolerance,\n"
      "2 tokenization mismatch, 3 reference unavailable with --require-ref, 4 bad usage or unreadable input.");
  auto sa = std::make_shared<SummaryArgs>();
  auto* summary = app->add_subcommand("summary", "Render crossval-summary.md from crossval artifact folders");
  summary->add_option("dirs", sa->dirs, "folders holding crossval-parity-*.json / crossval-receipt-*.json (searched recursively)")
      ->required();
  summary->add_option("-o,--output", sa->out, "output file, or - for stdout")->capture_default_str();
  summary->add_option("--artifacts-url", sa->artifacts_url, "where the artifacts can be downloaded (linked in the summary)");
  summary->add_option("--non-blocking", sa->non_blocking, "lanes whose failures do not block (default: bitnet)");
  summary->footer("Example:\n  trit crossval summary out/crossval/lane-b-llama out/crossval/lane-a-bitnet -o crossval-summary.md");
  return {app, [a, trace, sa, summary] {
            if (summary->parsed()) return run_summary(*sa);
            if (trace->count() > 0 && a->trace.empty()) a->trace = "on";  // `--trace` without a value
            return run_crossval(*a);
          }};
}

}  // namespace trit::cli
