// Tolerance profiles: named sets of thresholds. One profile decides a lane's status; the report
// names it and its thresholds next to the numbers, so a reader can check the verdict.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace trit::crossval {

struct Profile {
  std::string_view name;
  double cos_min;           // every position: cosine(ours, ref) >= cos_min
  double kl_max;            // every position: KL(P_ref || P_ours) <= kl_max (nats)
  double top1_min;          // fraction of positions whose arg-max agrees (near ties count, metrics.h)
  double decode_match_min;  // greedy decode: fraction of tokens matched before the first real mismatch
  double tie_margin;        // logits: an arg-max flip between candidates this close in both engines is a tie
  std::string_view why;     // when to use it, and where the numbers come from
};

// The table. "strict" first: the default, for comparisons where both engines compute the same
// formats (weights and activation quantization); only summation order differs.
std::span<const Profile> profiles();
Result<Profile> profile_by_name(std::string_view name);
std::string profile_names();  // "strict, loose, actquant, smoke" for --help and errors

}  // namespace trit::crossval
