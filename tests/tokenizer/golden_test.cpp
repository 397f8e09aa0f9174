// Every golden record of tests/fixtures/tokenizers/goldens: ids, tokens and
// decoded text as the Hugging Face tokenizers library gives them.
#include "tokenizer/tokenizer_test_helpers.h"

namespace mlxcpp::test {
namespace {

class TokenizerGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(TokenizerGolden, EveryRecordMatches) {
  const std::string name = GetParam();
  const Tokenizer& tok = fixture_tokenizer(name);
  const auto records = read_jsonl(fixture("tokenizers/goldens/" + name + ".jsonl"));
  ASSERT_EQ(records.size(), 124u);  // 62 corpus strings, with and without special tokens
  for (const json& r : records) {
    const std::string text = r["text"];
    const bool add_special = r["add_special_tokens"];
    SCOPED_TRACE(name + " / " + r["id"].get<std::string>() +
                 (add_special ? " (special)" : " (plain)"));
    const Encoding enc = tok.encode_with_offsets(text, add_special);
    EXPECT_EQ(enc.ids, r["ids"].get<std::vector<int32_t>>());
    EXPECT_EQ(enc.tokens, r["tokens"].get<std::vector<std::string>>());
    const auto ids = r["ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(tok.decode(ids, false), r["decoded"].get<std::string>());
    EXPECT_EQ(tok.decode(ids, true), r["decoded_skip_special"].get<std::string>());
    ASSERT_EQ(enc.offsets.size(), enc.ids.size());
    for (const auto& [b, e] : enc.offsets) {
      EXPECT_LE(b, e);
      EXPECT_LE(e, text.size());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TokenizerGolden,
                         ::testing::Values("qwen3", "gpt2", "mistral-7b", "bert-base-uncased",
                                           "albert-unigram"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             c = (c == '-') ? '_' : c;
                           }
                           return n;
                         });

// SentencePiece itself (tokenizer.model through libsentencepiece) on the albert
// model, for the records where the reference says SentencePiece agrees with HF.
TEST(SentencePieceModel, AgreesWithTheGoldensWhereSentencePieceDoes) {
  const Tokenizer tok = Tokenizer::from_file(fixture("tokenizers/albert-unigram/spiece.model"));
  size_t checked = 0;
  for (const json& r : read_jsonl(fixture("tokenizers/goldens/albert-unigram.jsonl"))) {
    if (!r.contains("sentencepiece_ids_agree") || !r["sentencepiece_ids_agree"].get<bool>()) {
      continue;
    }
    SCOPED_TRACE(r["id"].get<std::string>());
    EXPECT_EQ(tok.encode(r["text"].get<std::string>(), false),
              r["ids"].get<std::vector<int32_t>>());
    ++checked;
  }
  EXPECT_EQ(checked, 59u);
}

}  // namespace
}  // namespace mlxcpp::test
