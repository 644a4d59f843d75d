// generate/chat_session.h and chat_repl.h: the REPL driven through pipes, /reset and /exit,
// Ctrl-C (the interrupt flag), history kept within the context, KV reuse across turns.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "generate/chat_repl.h"
#include "generate/chat_session.h"
#include "serve_test_util.h"

namespace trit::testing {
namespace {

ChatOptions greedy_chat(int n_predict = 12) {
  ChatOptions o;
  o.kind = ChatTemplateKind::kBitNet;
  o.n_predict = n_predict;
  o.sampler.greedy = true;
  return o;
}

std::string read_all(FILE* f) {
  std::rewind(f);
  std::string s;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  return s;
}

struct ReplRun {
  int rc = -1;
  std::string out, err;
};

// Feeds `input` to the REPL through a pipe (written by another thread, then closed: EOF).
ReplRun run_repl(ChatSession& chat, const std::string& input, std::atomic<bool>* interrupt = nullptr,
                 FILE* out = nullptr) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  std::thread writer([&] {
    const ssize_t n = write(fds[1], input.data(), input.size());
    EXPECT_EQ(n, ssize_t(input.size()));
    close(fds[1]);
  });
  FILE* in = fdopen(fds[0], "r");
  FILE* own_out = out ? nullptr : std::tmpfile();
  FILE* err = std::tmpfile();
  ReplRun r;
  r.rc = run_chat_repl(chat, {.in = in, .out = out ? out : own_out, .err = err, .prompt = false,
                              .interrupt = interrupt});
  writer.join();
  std::fclose(in);
  if (own_out) {
    r.out = read_all(own_out);
    std::fclose(own_out);
  }
  r.err = read_all(err);
  std::fclose(err);
  return r;
}

TEST(ChatRepl, ResetAndExitThroughAPipe) {
  const TestModel& m = test_model();
  Session session(*m.model);
  ChatSession chat(session, *m.tokenizer, greedy_chat());
  const ReplRun r = run_repl(chat, "hello there\n/reset\nhello there\n/exit\nnever read\n");
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.err.find("(conversation cleared)"), std::string::npos) << r.err;
  // Two answers, each ending in a newline; after /reset the same question gets the same
  // (greedy) answer, so the output is one answer twice.
  ASSERT_EQ(r.out.size() % 2, 0u) << r.out;
  EXPECT_EQ(r.out.substr(0, r.out.size() / 2), r.out.substr(r.out.size() / 2)) << r.out;
  EXPECT_EQ(r.out.back(), '\n');
  // After /reset only the second exchange is remembered; "never read" came after /exit.
  ASSERT_EQ(chat.history().size(), 2u);
  EXPECT_EQ(chat.history()[0].content, "hello there");
}

TEST(ChatRepl, EofEndsCleanlyAndCommandsNeedNoModel) {
  const TestModel& m = test_model();
  Session session(*m.model);
  ChatSession chat(session, *m.tokenizer, greedy_chat());
  const ReplRun r = run_repl(chat, "/help\n\n   \nmulti\\\nline");  // no newline at the end, then EOF
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.err.find("/reset"), std::string::npos);
  ASSERT_EQ(chat.history().size(), 2u);
  EXPECT_EQ(chat.history()[0].content, "multi\nline");
}

// Ctrl-C: the handler sets the flag; here the first byte of the answer sets it, as a user
// pressing Ctrl-C while it streams. The answer stops, the REPL goes on to the next line.
TEST(ChatRepl, InterruptStopsTheAnswerNotTheLoop) {
  const TestModel& m = test_model();
  Session session(*m.model);
  ChatSession chat(session, *m.tokenizer, greedy_chat(/*n_predict=*/200));
  static std::atomic<bool> interrupt{false};
  static int writes = 0;
  writes = 0;
  cookie_io_functions_t io{};
  io.write = [](void*, const char*, size_t size) -> ssize_t {
    ++writes;
    interrupt = true;
    return ssize_t(size);
  };
  FILE* out = fopencookie(nullptr, "w", io);
  setvbuf(out, nullptr, _IONBF, 0);
  const ReplRun r = run_repl(chat, "tell me a story\nand another\n/exit\n", &interrupt, out);
  std::fclose(out);
  EXPECT_EQ(r.rc, 0);
  // Both answers were stopped after their first token.
  size_t stopped = 0;
  for (size_t p = 0; (p = r.err.find("(stopped)", p)) != std::string::npos; ++p) ++stopped;
  EXPECT_EQ(stopped, 2u) << r.err;
  ASSERT_EQ(chat.history().size(), 4u);
}

TEST(ChatSession, HistoryStaysWithinTheContextAndReusesTheCache) {
  const TestModel& m = test_model();
  auto small = Model::load(m.model->file().path(), {.n_ctx = 160, .n_threads = 1});
  ASSERT_TRUE(small) << small.error().message;
  Session session(**small);
  ChatOptions o = greedy_chat(16);
  o.system = "Be brief.";
  o.answer_reserve = 16;
  ChatSession chat(session, *m.tokenizer, o);

  auto first = chat.send("the cat sat on the mat");
  ASSERT_TRUE(first) << first.error().message;
  auto second = chat.send("and then");
  ASSERT_TRUE(second) << second.error().message;
  // The second turn evaluates only what the cache does not hold.
  EXPECT_LT(second->evaluated_tokens, second->prompt_tokens);

  int dropped = 0;
  for (int i = 0; i < 12; ++i) {
    auto r = chat.send("the house and the cat ran to it");
    ASSERT_TRUE(r) << "turn " << i << ": " << r.error().message;
    EXPECT_LE(r->prompt_tokens + 16, 160) << "turn " << i;
    dropped += r->dropped_messages;
  }
  EXPECT_GT(dropped, 0);
  // The oldest exchange went first, and whole: the history starts with a user message.
  EXPECT_EQ(chat.history().front().role, "user");
  EXPECT_NE(chat.history().front().content, "the cat sat on the mat");
}

TEST(ChatSession, AMessageLargerThanTheContextIsRefusedAndForgotten) {
  const TestModel& m = test_model();
  auto small = Model::load(m.model->file().path(), {.n_ctx = 64, .n_threads = 1});
  ASSERT_TRUE(small);
  Session session(**small);
  ChatSession chat(session, *m.tokenizer, greedy_chat(8));
  std::string huge;
  for (int i = 0; i < 100; ++i) huge += "the cat ";
  auto r = chat.send(huge);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("context holds 64"), std::string::npos) << r.error().message;
  EXPECT_TRUE(chat.history().empty());
  EXPECT_TRUE(chat.send("hi"));
}

// The real binary, when built: `trit chat` through stdin/stdout pipes.
TEST(ChatCommand, RunsThroughPipes) {
  const std::string trit = std::string(TRIT_BINARY_DIR) + "/trit";
  if (!std::filesystem::exists(trit)) GTEST_SKIP() << trit << " not built";
  const std::string model = test_model().model->file().path();
  int in[2], out[2];
  ASSERT_EQ(pipe(in), 0);
  ASSERT_EQ(pipe(out), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    close(in[1]);
    close(out[0]);
    execl(trit.c_str(), "trit", "chat", "--model", model.c_str(), "--greedy", "-n", "8", "--ctx", "256",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  const std::string input = "hello\n/reset\nhello\n/exit\n";
  ASSERT_EQ(write(in[1], input.data(), input.size()), ssize_t(input.size()));
  close(in[1]);
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof buf)) > 0) got.append(buf, size_t(n));
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  ASSERT_FALSE(got.empty());
  ASSERT_EQ(got.size() % 2, 0u) << got;
  EXPECT_EQ(got.substr(0, got.size() / 2), got.substr(got.size() / 2)) << got;
}

}  // namespace
}  // namespace trit::testing
