// The tokenizer.json components one at a time, on small hand-made files: the
// pieces a pre-tokenizer cuts, the text a normalizer gives, the BPE options,
// decoders and post-processors. Expected values are the examples of the
// Hugging Face tokenizers documentation and its semantics.
#include "mlxcpp/core/errors.h"
#include "tokenizer/tokenizer_test_helpers.h"

namespace mlxcpp::test {
namespace {

// A WordLevel tokenizer whose vocabulary is `pieces` (+ "<unk>"): its tokens
// show exactly the pieces the pipeline cut (a piece outside the list shows as <unk>).
Tokenizer word_level(const std::vector<std::string>& pieces, const json& normalizer,
                     const json& pre_tokenizer, const json& post_processor = nullptr,
                     const json& decoder = nullptr) {
  json vocab = json::object();
  vocab["<unk>"] = 0;
  for (const auto& p : pieces) {
    if (!vocab.contains(p)) {
      vocab[p] = vocab.size();
    }
  }
  json j = {{"version", "1.0"},
            {"normalizer", normalizer},
            {"pre_tokenizer", pre_tokenizer},
            {"post_processor", post_processor},
            {"decoder", decoder},
            {"model", {{"type", "WordLevel"}, {"vocab", vocab}, {"unk_token", "<unk>"}}}};
  return Tokenizer::from_json(j.dump(), "components.json");
}

std::vector<std::string> pieces_of(const json& pre_tokenizer, const std::string& text,
                                   const std::vector<std::string>& expected,
                                   const json& normalizer = nullptr) {
  return word_level(expected, normalizer, pre_tokenizer).encode_with_offsets(text, false).tokens;
}

TEST(PreTokenizers, SplitBehaviorsAsDocumented) {
  // The example of SplitDelimiterBehavior in the tokenizers documentation.
  const std::string text = "the-final--countdown";
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"Removed", {"the", "final", "countdown"}},
      {"Isolated", {"the", "-", "final", "-", "-", "countdown"}},
      {"MergedWithPrevious", {"the-", "final-", "-", "countdown"}},
      {"MergedWithNext", {"the", "-final", "-", "-countdown"}},
      {"Contiguous", {"the", "-", "final", "--", "countdown"}},
  };
  for (const auto& [behavior, expected] : cases) {
    SCOPED_TRACE(behavior);
    for (const json& pattern : {json{{"String", "-"}}, json{{"Regex", "-"}}}) {
      const json pre = {
          {"type", "Split"}, {"pattern", pattern}, {"behavior", behavior}, {"invert", false}};
      EXPECT_EQ(pieces_of(pre, text, expected), expected);
    }
  }
  // invert: the matches are the pieces.
  const json inverted = {{"type", "Split"},
                         {"pattern", {{"Regex", "[a-z]+"}}},
                         {"behavior", "Removed"},
                         {"invert", true}};
  EXPECT_EQ(pieces_of(inverted, text, {"the", "final", "countdown"}),
            (std::vector<std::string>{"the", "final", "countdown"}));
}

TEST(PreTokenizers, WordsDigitsPunctuationDelimiters) {
  EXPECT_EQ(pieces_of({{"type", "Whitespace"}}, "Hey man!! How's it going?",
                      {"Hey", "man", "!!", "How", "'", "s", "it", "going", "?"}),
            (std::vector<std::string>{"Hey", "man", "!!", "How", "'", "s", "it", "going", "?"}));
  EXPECT_EQ(pieces_of({{"type", "WhitespaceSplit"}}, "Hey man!!  How's", {"Hey", "man!!", "How's"}),
            (std::vector<std::string>{"Hey", "man!!", "How's"}));
  EXPECT_EQ(pieces_of({{"type", "Digits"}, {"individual_digits", true}}, "abc123",
                      {"abc", "1", "2", "3"}),
            (std::vector<std::string>{"abc", "1", "2", "3"}));
  EXPECT_EQ(
      pieces_of({{"type", "Digits"}, {"individual_digits", false}}, "abc123d", {"abc", "123", "d"}),
      (std::vector<std::string>{"abc", "123", "d"}));
  EXPECT_EQ(pieces_of({{"type", "Punctuation"}}, "Hey, you!", {"Hey", ",", " you", "!"}),
            (std::vector<std::string>{"Hey", ",", " you", "!"}));
  EXPECT_EQ(
      pieces_of({{"type", "CharDelimiterSplit"}, {"delimiter", "-"}}, "a-b--c", {"a", "b", "c"}),
      (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(pieces_of({{"type", "BertPreTokenizer"}}, "Hey, you!", {"Hey", ",", "you", "!"}),
            (std::vector<std::string>{"Hey", ",", "you", "!"}));
  const json seq = {
      {"type", "Sequence"},
      {"pretokenizers",
       {{{"type", "WhitespaceSplit"}}, {{"type", "Digits"}, {"individual_digits", true}}}}};
  EXPECT_EQ(pieces_of(seq, "ab12 c", {"ab", "1", "2", "c"}),
            (std::vector<std::string>{"ab", "1", "2", "c"}));
}

TEST(PreTokenizers, MetaspaceAndByteLevel) {
  const std::string m = "\xe2\x96\x81";  // ▁
  const json always = {
      {"type", "Metaspace"}, {"replacement", m}, {"prepend_scheme", "always"}, {"split", true}};
  EXPECT_EQ(pieces_of(always, "Hey friend!", {m + "Hey", m + "friend!"}),
            (std::vector<std::string>{m + "Hey", m + "friend!"}));
  json never = always;
  never["prepend_scheme"] = "never";
  EXPECT_EQ(pieces_of(never, "Hey friend!", {"Hey", m + "friend!"}),
            (std::vector<std::string>{"Hey", m + "friend!"}));
  json whole = always;
  whole["split"] = false;
  EXPECT_EQ(pieces_of(whole, "Hey friend!", {m + "Hey" + m + "friend!"}),
            (std::vector<std::string>{m + "Hey" + m + "friend!"}));
  // ByteLevel with its GPT-2 regex and a prefix space: "Ġ" shows the space.
  const json bl = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}};
  EXPECT_EQ(pieces_of(bl, "Hello my friend",
                      {"\xc4\xa0Hello", "\xc4\xa0my",
                       "\xc4\xa0"
                       "friend"}),
            (std::vector<std::string>{"\xc4\xa0Hello", "\xc4\xa0my",
                                      "\xc4\xa0"
                                      "friend"}));
}

TEST(Normalizers, RewriteTheText) {
  // No pre-tokenizer: the one token is the normalized text itself.
  auto expect_norm = [](const json& n, const std::string& text, const std::string& expected) {
    SCOPED_TRACE(n.dump());
    EXPECT_EQ(word_level({expected}, n, nullptr).encode_with_offsets(text, false).tokens,
              std::vector<std::string>{expected});
  };
  expect_norm({{"type", "NFD"}}, "\xc3\xa9", "e\xcc\x81");
  expect_norm({{"type", "NFC"}}, "e\xcc\x81", "\xc3\xa9");
  expect_norm({{"type", "NFKC"}}, "\xef\xac\x81", "fi");  // ﬁ ligature
  expect_norm({{"type", "NFKD"}}, "\xe2\x91\xa0", "1");   // ①
  expect_norm({{"type", "Lowercase"}}, "HeLLo \xc3\x84", "hello \xc3\xa4");
  expect_norm({{"type", "Strip"}, {"strip_left", true}, {"strip_right", false}}, "  hi  ", "hi  ");
  expect_norm(
      {{"type", "Sequence"}, {"normalizers", {{{"type", "NFD"}}, {{"type", "StripAccents"}}}}},
      "caf\xc3\xa9", "cafe");
  expect_norm({{"type", "Replace"}, {"pattern", {{"String", "a"}}}, {"content", "o"}}, "banana",
              "bonono");
  expect_norm({{"type", "Replace"}, {"pattern", {{"Regex", "\\s+"}}}, {"content", " "}}, "a \t\n b",
              "a b");
  expect_norm({{"type", "Prepend"}, {"prepend", "_"}}, "x", "_x");
  expect_norm({{"type", "BertNormalizer"},
               {"clean_text", true},
               {"handle_chinese_chars", true},
               {"strip_accents", nullptr},
               {"lowercase", true}},
              "H\xc3\xa9llo\t\xe4\xb8\xad", "hello  \xe4\xb8\xad ");
}

TEST(BpeOptions, PrefixSuffixAndIgnoreMerges) {
  auto bpe = [](const json& model) {
    const json j = {
        {"version", "1.0"}, {"pre_tokenizer", {{"type", "WhitespaceSplit"}}}, {"model", model}};
    return Tokenizer::from_json(j.dump());
  };
  // continuing_subword_prefix: "a" + "##b" merges into "ab".
  const Tokenizer prefix =
      bpe({{"type", "BPE"},
           {"vocab", {{"a", 0}, {"##b", 1}, {"ab", 2}, {"##c", 3}, {"abc", 4}}},
           {"merges", {"a ##b", "ab ##c"}},
           {"continuing_subword_prefix", "##"}});
  EXPECT_EQ(prefix.encode("abc ac", false), (std::vector<int32_t>{4, 0, 3}));
  // end_of_word_suffix: the last character carries "</w>".
  const Tokenizer suffix = bpe({{"type", "BPE"},
                                {"vocab", {{"a", 0}, {"b</w>", 1}, {"ab</w>", 2}, {"a</w>", 3}}},
                                {"merges", {"a b</w>"}},
                                {"end_of_word_suffix", "</w>"}});
  EXPECT_EQ(suffix.encode("ab a", false), (std::vector<int32_t>{2, 3}));
  // ignore_merges: a word in the vocabulary is one token even when merges cannot build it.
  json model = {{"type", "BPE"},
                {"vocab", {{"a", 0}, {"b", 1}, {"c", 2}, {"abc", 3}, {"ab", 4}}},
                {"merges", json::array({json::array({"a", "b"})})}};
  EXPECT_EQ(bpe(model).encode("abc", false), (std::vector<int32_t>{4, 2}));
  model["ignore_merges"] = true;
  EXPECT_EQ(bpe(model).encode("abc", false), (std::vector<int32_t>{3}));
  // unk with fuse_unk: unknown characters in a row become one unknown token.
  const Tokenizer unk = bpe({{"type", "BPE"},
                             {"vocab", {{"<unk>", 0}, {"a", 1}}},
                             {"merges", json::array()},
                             {"unk_token", "<unk>"},
                             {"fuse_unk", true}});
  EXPECT_EQ(unk.encode("axyza", false), (std::vector<int32_t>{1, 0, 1}));
}

TEST(Decoders, BpeDecoderAndCtc) {
  const Tokenizer bpe = word_level({"hel", "lo</w>", "world</w>"}, nullptr, nullptr, nullptr,
                                   {{"type", "BPEDecoder"}, {"suffix", "</w>"}});
  const std::vector<int32_t> ids = {*bpe.token_to_id("hel"), *bpe.token_to_id("lo</w>"),
                                    *bpe.token_to_id("world</w>")};
  EXPECT_EQ(bpe.decode(ids), "hello world");

  const Tokenizer ctc = word_level(
      {"<pad>", "h", "e", "l", "o", "|", "w"}, nullptr, nullptr, nullptr,
      {{"type", "CTC"}, {"pad_token", "<pad>"}, {"word_delimiter_token", "|"}, {"cleanup", true}});
  std::vector<int32_t> seq;
  for (const char* t : {"<pad>", "h", "h", "e", "l", "l", "<pad>", "l", "o", "|", "w"}) {
    seq.push_back(*ctc.token_to_id(t));
  }
  EXPECT_EQ(ctc.decode(seq), "hello w");
}

TEST(PostProcessors, BertRobertaAndSequence) {
  const std::vector<std::string> vocab = {"<s>", "</s>", "hello"};
  const Tokenizer roberta = word_level(vocab, nullptr, {{"type", "WhitespaceSplit"}},
                                       {{"type", "RobertaProcessing"},
                                        {"sep", {"</s>", 2}},
                                        {"cls", {"<s>", 1}},
                                        {"trim_offsets", true},
                                        {"add_prefix_space", true}});
  EXPECT_EQ(roberta.encode("hello", true), (std::vector<int32_t>{1, 3, 2}));
  EXPECT_EQ(roberta.encode("hello", false), (std::vector<int32_t>{3}));
  const Tokenizer bert =
      word_level(vocab, nullptr, {{"type", "WhitespaceSplit"}},
                 {{"type", "BertProcessing"}, {"sep", {"</s>", 2}}, {"cls", {"<s>", 1}}});
  EXPECT_EQ(bert.encode("hello hello", true), (std::vector<int32_t>{1, 3, 3, 2}));
  const Tokenizer seq =
      word_level(vocab, nullptr, {{"type", "WhitespaceSplit"}},
                 {{"type", "Sequence"},
                  {"processors",
                   {{{"type", "ByteLevel"}, {"trim_offsets", true}},
                    {{"type", "BertProcessing"}, {"sep", {"</s>", 2}}, {"cls", {"<s>", 1}}}}}});
  EXPECT_EQ(seq.encode("hello", true), (std::vector<int32_t>{1, 3, 2}));
}

TEST(AddedTokens, SingleWordStripAndNormalized) {
  json j = {{"version", "1.0"},
            {"normalizer", {{"type", "Lowercase"}}},
            {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
            {"added_tokens",
             {{{"id", 10},
               {"content", "[X]"},
               {"special", true},
               {"lstrip", true},
               {"rstrip", true},
               {"normalized", false}},
              {{"id", 11},
               {"content", "cat"},
               {"special", false},
               {"single_word", true},
               {"normalized", true}},
              {{"id", 12}, {"content", "DOG"}, {"special", false}, {"normalized", true}}}},
            {"model",
             {{"type", "WordLevel"},
              {"vocab", {{"<unk>", 0}, {"a", 1}, {"b", 2}, {"concat", 3}, {"[x]", 4}}},
              {"unk_token", "<unk>"}}}};
  const Tokenizer tok = Tokenizer::from_json(j.dump());
  // lstrip/rstrip take the spaces around "[X]"; offsets cover them.
  const Encoding e = tok.encode_with_offsets("a  [X]  b", false);
  EXPECT_EQ(e.ids, (std::vector<int32_t>{1, 10, 2}));
  EXPECT_EQ(e.offsets[1], (std::pair<size_t, size_t>{1, 8}));
  // single_word: "cat" inside "concat" is not the added token.
  EXPECT_EQ(tok.encode("cat concat", false), (std::vector<int32_t>{11, 3}));
  // normalized: matched after lowercasing, so "DOG" and "dog" both match its form "dog".
  EXPECT_EQ(tok.encode("DOG dog", false), (std::vector<int32_t>{12, 12}));
  EXPECT_EQ(tok.decode(std::vector<int32_t>{1, 10, 2}, true), "a b");
}

}  // namespace
}  // namespace mlxcpp::test
