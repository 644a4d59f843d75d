// `trit`: one binary, one subcommand per file (cmd_*.cpp). This file only wires them up.
#include <cstdio>
#include <exception>

#include "cli/command.h"
#include "core/build_info.h"

int main(int argc, char** argv) {
  using namespace trit::cli;
  CLI::App app{
      "trit: BitNet b1.58 and LLaMA inference on CPU, cross-validated against llama.cpp and "
      "bitnet.cpp.\nRun `trit <command> --help` for each command."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(TRIT_VERSION " (") + trit::build_git_sha() + ")");

  std::vector<Command> commands = {
      add_inspect(app), add_synth(app), add_run(app), add_tokenize(app), add_detokenize(app),
      add_serve(app), add_chat(app), add_perplexity(app),
      add_bench(app),
      add_compare_baselines(app),
      add_crossval(app),
      add_convert(app),
      add_setup_cpp(app),
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  for (auto& c : commands) {
    if (c.app->parsed()) {
      try {
        return c.run();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "trit: error: %s\n", e.what());
        return 1;
      }
    }
  }
  return kExitUsage;
}
