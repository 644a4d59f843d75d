// Trace localization (issue 9): pairing and layout rules on hand-made tensors (no reference needed;
// the live planted-bug tests are in trace_live_test.cpp).
#include <gtest/gtest.h>

#include <cmath>

#include "crossval/trace.h"

namespace trit::crossval {
namespace {

TEST(TraceNames, SplitsLayerSuffix) {
  EXPECT_EQ(split_ref_name("attn_norm-3"), (std::pair<std::string, int>{"attn_norm", 3}));
  EXPECT_EQ(split_ref_name("ffn_sqr(relu)-12"), (std::pair<std::string, int>{"ffn_sqr(relu)", 12}));
  EXPECT_EQ(split_ref_name("result_norm"), (std::pair<std::string, int>{"result_norm", -1}));
  EXPECT_EQ(split_ref_name("leaf-x"), (std::pair<std::string, int>{"leaf-x", -1}));
  EXPECT_EQ(split_ref_name("trailing-"), (std::pair<std::string, int>{"trailing-", -1}));
}

TEST(TraceLayout, TokenRowsContiguousTransposedOrRejected) {
  // 3 tokens x 4 values, [n_tokens][n] with ne = {4, 3}: row 1 is 4..7.
  std::vector<float> d(12);
  for (int i = 0; i < 12; ++i) d[static_cast<size_t>(i)] = static_cast<float>(i);
  const int64_t rows[4] = {4, 3, 1, 1};
  EXPECT_EQ(*ref_token_row(d.data(), rows, 3, 1), (std::vector<float>{4, 5, 6, 7}));
  // Qcur-like [head_dim 2, n_head 2, n_tokens 3]: the same row.
  const int64_t heads[4] = {2, 2, 3, 1};
  EXPECT_EQ(*ref_token_row(d.data(), heads, 3, 1), (std::vector<float>{4, 5, 6, 7}));
  // Transposed [n][n_tokens] (ne = {3, 4}): token 1 is every third value from 1.
  const int64_t tr[4] = {3, 4, 1, 1};
  EXPECT_EQ(*ref_token_row(d.data(), tr, 3, 1), (std::vector<float>{1, 4, 7, 10}));
  // kq-like [n_kv 2, n_tokens 3, n_head 2]: not a token-row layout.
  const int64_t kq[4] = {2, 3, 2, 1};
  EXPECT_FALSE(ref_token_row(d.data(), kq, 3, 1));
  // Element count not a multiple of n_tokens.
  const int64_t odd[4] = {5, 1, 1, 1};
  EXPECT_FALSE(ref_token_row(d.data(), odd, 3, 0));
}

TEST(TraceCompare, FirstBelowThresholdInOursGraphOrderWithAliases) {
  const std::vector<float> a{1, 2, 3, 4}, b{1, 2, 3, 4.0001f}, bad{-1, 2, 3, 4};
  std::vector<TraceRow> ours = {{"inp_embd", -1, a}, {"attn_norm", 0, a}, {"ffn_out", 0, a},
                                {"l_out", 0, a},     {"attn_norm", 1, a}, {"only_ours", 1, a}};
  // The reference lists them in another order, names ffn_out as ffn_down (bitnet graph), and has
  // extra tensors of its own.
  std::vector<TraceRow> ref = {{"norm", 0, a},      {"attn_norm", 0, b}, {"inp_embd", -1, a},
                               {"ffn_down", 0, bad}, {"l_out", 0, bad},  {"attn_norm", 1, bad}};
  const TraceResult t = compare_traces(ours, ref, 0.9999);
  ASSERT_EQ(t.tensors.size(), 5u);
  ASSERT_TRUE(t.first);
  EXPECT_EQ(t.tensors[*t.first].tensor, "ffn_out");
  EXPECT_EQ(t.tensors[*t.first].ref_name, "ffn_down-0");
  EXPECT_EQ(t.tensors[*t.first].layer, 0);
  EXPECT_NEAR(t.tensors[1].cos, 1.0, 1e-9);
  EXPECT_NEAR(t.tensors[1].max_abs, 1e-4, 1e-5);
  EXPECT_EQ(t.unpaired, (std::vector<std::string>{"only_ours-1"}));
  EXPECT_EQ(t.ref_tensors, 6);
}

TEST(TraceCompare, NanIsOutsideTolerance) {
  const std::vector<float> a{1, 2}, n{NAN, 2};
  const TraceResult t = compare_traces({{"x", 0, a}}, {{"x", 0, n}}, 0.5);
  ASSERT_TRUE(t.first);
  EXPECT_FALSE(t.tensors[0].finite);
}

TEST(TracePoint, DivergenceElseLastPosition) {
  EXPECT_EQ(choose_trace_point({std::nullopt, 5}, {10, 12}, -1).case_index, 1);
  EXPECT_EQ(choose_trace_point({std::nullopt, 5}, {10, 12}, -1).position, 5);
  EXPECT_EQ(choose_trace_point({std::nullopt, std::nullopt}, {10, 12}, -1).position, 9);
  EXPECT_EQ(choose_trace_point({std::nullopt}, {10}, 3).position, 3);
  EXPECT_EQ(choose_trace_point({std::nullopt}, {10}, 99).position, 9);
}

}  // namespace
}  // namespace trit::crossval
