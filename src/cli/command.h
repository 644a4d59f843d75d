// How a subcommand plugs into `trit`: each cmd_<name>.cpp defines one add_<name>() that
// registers its flags on a CLI11 subcommand and returns the function that runs it.
// The runner returns the process exit code. Human text goes to stderr; machine output
// (--json / --format json) to stdout and nothing else (CONTRACT.md).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <vector>

namespace trit::cli {

// Exit code for bad usage or unreadable input (CONTRACT.md).
inline constexpr int kExitUsage = 4;

struct Command {
  CLI::App* app;
  std::function<int()> run;
};

// Each is defined in its own cmd_<name>.cpp.
Command add_inspect(CLI::App& root);
Command add_synth(CLI::App& root);
Command add_run(CLI::App& root);
Command add_tokenize(CLI::App& root);
Command add_detokenize(CLI::App& root);
Command add_crossval(CLI::App& root);
Command add_serve(CLI::App& root);
Command add_chat(CLI::App& root);
Command add_perplexity(CLI::App& root);
Command add_bench(CLI::App& root);
Command add_compare_baselines(CLI::App& root);
Command add_convert(CLI::App& root);
Command add_setup_cpp(CLI::App& root);

}  // namespace trit::cli
