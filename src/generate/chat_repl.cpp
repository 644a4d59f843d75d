#include "generate/chat_repl.h"

#include <string>

namespace trit {
namespace {

// One line of any length without its newline; false at EOF with nothing read.
bool read_line(FILE* in, std::string& line) {
  line.clear();
  char buf[4096];
  while (std::fgets(buf, sizeof buf, in)) {
    line += buf;
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return true;
    }
  }
  return !line.empty();
}

bool is_blank(const std::string& s) { return s.find_first_not_of(" \t") == std::string::npos; }

constexpr const char* kHelp =
    "commands: /reset forget the conversation, /exit quit (or Ctrl-D), /help this text.\n"
    "End a line with \\ to continue it; Ctrl-C stops an answer.\n";

}  // namespace

int run_chat_repl(ChatSession& chat, const ChatReplIo& io) {
  std::string line, message;
  for (;;) {
    if (io.prompt) {
      std::fputs(message.empty() ? "> " : ". ", io.err);
      std::fflush(io.err);
    }
    if (!read_line(io.in, line)) {
      if (io.prompt) std::fputc('\n', io.err);
      return 0;
    }
    if (!line.empty() && line.back() == '\\') {
      line.pop_back();
      message += line + "\n";
      continue;
    }
    message += line;
    if (message == "/exit" || message == "/quit") return 0;
    if (message == "/reset") {
      chat.reset();
      std::fputs("(conversation cleared)\n", io.err);
      message.clear();
      continue;
    }
    if (message == "/help") {
      std::fputs(kHelp, io.err);
      message.clear();
      continue;
    }
    if (is_blank(message)) {
      message.clear();
      continue;
    }

    if (io.interrupt) io.interrupt->store(false);
    if (io.generating) io.generating->store(true);
    const OnToken stream = [&](int32_t, std::string_view piece) {
      std::fwrite(piece.data(), 1, piece.size(), io.out);
      std::fflush(io.out);
      return !(io.interrupt && io.interrupt->load());
    };
    auto reply = chat.send(message, stream);
    if (io.generating) io.generating->store(false);
    message.clear();
    std::fputc('\n', io.out);
    std::fflush(io.out);
    if (!reply) {
      // The conversation is intact (the failed message was not added): the user may go on.
      std::fprintf(io.err, "trit chat: error: %s\n", reply.error().message.c_str());
      continue;
    }
    if (reply->stop == StopReason::kCancel) std::fputs("(stopped)\n", io.err);
    if (reply->stop == StopReason::kContext)
      std::fputs("(the context is full: the answer was cut; older turns will be dropped)\n", io.err);
    if (reply->dropped_messages > 0)
      std::fprintf(io.err, "(dropped the %d oldest messages to fit the context)\n", reply->dropped_messages);
    if (io.stats) {
      std::fprintf(io.err, "[%d prompt tokens (%d new), %.1f tok/s; %d generated, %.1f tok/s]\n",
                   reply->prompt_tokens, reply->evaluated_tokens, reply->timing.prompt_tok_s,
                   reply->generated_tokens, reply->timing.gen_tok_s);
    }
  }
}

}  // namespace trit
