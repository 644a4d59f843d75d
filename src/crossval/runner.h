// The crossval runner: compares two Engines (trit and a reference) in three steps.
//  1. tokenization gate: both tokenize every prompt; any difference stops the lane (exit 2);
//  2. teacher-forced logits at every position of every prompt (one eval per prompt per engine);
//  3. greedy decode of N tokens by both engines from each prompt.
// The verdict comes from one tolerance Profile. Nothing here knows which engines it compares.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crossval/engine.h"
#include "crossval/metrics.h"
#include "crossval/profile.h"

namespace trit::crossval {

struct RunOptions {
  std::vector<std::string> prompts;
  // 0: each prompt's own tokens. N > 0: exactly N positions per prompt, truncating the prompt or
  // extending it by repeating its tokens (after BOS), so long contexts need no long text.
  int positions = 0;
  int decode = 0;  // greedy tokens per prompt
  Profile profile = profiles()[0];
  bool add_special = true;
  bool parse_special = false;
  int top_k = 10;
};

enum class LaneStatus { kPass, kFail, kSkipped, kError };
std::string_view status_name(LaneStatus s);

struct TokenizationMismatch {
  std::string text;
  std::vector<int32_t> ours, ref;
  int first_diff = 0;  // first index where they differ (or the shorter length)
};

struct DecodeResult {
  int n = 0;
  std::vector<int32_t> ours, ref;
  std::optional<int> first_mismatch;
  // The first mismatch is a near tie: at that step both engines rank the two tokens within the
  // measured logit difference (metrics.h). Counted as a match by the profile, shown as such.
  bool tie = false;
  double match_fraction = 1.0;  // tokens matched before the first real mismatch / n
};

struct CaseResult {
  std::string prompt;
  std::vector<int32_t> tokens;  // what was evaluated (after --positions)
  std::vector<PositionMetrics> positions;
  std::optional<int> first_divergence;  // first position failing the profile
  DecodeResult decode;
};

struct Divergence {
  int case_index = 0;
  int pos = 0;
};

struct Summary {
  int positions = 0;
  double cos_min = 1, cos_mean = 1;
  double kl_mean = 0, kl_p99 = 0, kl_max = 0;
  double top1_agreement = 1;       // identical arg-max
  double top1_agreement_ties = 1;  // identical, or a near tie (what the profile checks)
  double topk_overlap_mean = 1;
  double max_abs = 0;
  std::optional<Divergence> first_divergence;
  double decode_match_rate = 1;  // mean DecodeResult::match_fraction; 1 when no decode ran
  double nll_ours = 0, nll_ref = 0;  // mean -log P(next prompt token), nats
  bool finite = true;
};

struct Timing {
  double ours_tok_s = 0, ref_tok_s = 0, seconds = 0;
};

struct LaneRun {
  LaneStatus status = LaneStatus::kError;
  std::string reason;
  bool tokenization_match = true;
  int tokenization_cases = 0;
  std::vector<TokenizationMismatch> mismatches;
  std::vector<CaseResult> cases;
  Summary summary;
  Timing timing;
};

// Runs all three steps. Engine errors give kError with the message; never throws for them.
LaneRun run_parity(Engine& ours, Engine& ref, const RunOptions& opts);

// Applies the profile to metrics (exposed for tests and for re-judging saved runs).
bool position_passes(const PositionMetrics& m, const Profile& p);
Summary summarize(const std::vector<CaseResult>& cases);
std::vector<std::string> failed_checks(const Summary& s, const Profile& p);  // empty: pass

}  // namespace trit::crossval
