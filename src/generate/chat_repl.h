// The `trit chat` loop over plain streams, so that tests drive it through a pipe: read a line,
// answer it with a ChatSession, stream the answer. Commands: /reset, /exit (or /quit), /help.
// A line ending in '\' continues on the next one. EOF on input ends the loop cleanly.
#pragma once

#include <atomic>
#include <cstdio>

#include "generate/chat_session.h"

namespace trit {

struct ChatReplIo {
  FILE* in = stdin;
  FILE* out = stdout;  // the answers, nothing else
  FILE* err = stderr;  // the "> " prompt, notices and statistics
  bool prompt = true;  // write "> " before each line (off when input is not a terminal)
  // Set (by a SIGINT handler) to stop the current answer; the loop clears it before each answer.
  std::atomic<bool>* interrupt = nullptr;
  // Set while an answer is being generated, so a SIGINT handler can tell the two cases apart.
  std::atomic<bool>* generating = nullptr;
  bool stats = false;  // after each answer: tokens and tok/s on err
};

// Returns the process exit code: 0 on /exit or EOF. A failed answer (a message too long for the
// context, an evaluation error) is reported on err and the loop goes on.
int run_chat_repl(ChatSession& chat, const ChatReplIo& io);

}  // namespace trit
