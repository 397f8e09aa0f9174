// The Tokenizer API beyond the goldens: invalid UTF-8, long and repetitive
// input, batches, offsets, config files, streaming, and every kind of bad input.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/tokenizer/tokenizer_config.h"
#include "mlxcpp/tokenizer/utf8.h"
#include "tokenizer/tokenizer_test_helpers.h"

namespace mlxcpp::test {
namespace {

namespace fs = std::filesystem;
namespace utf8 = mlxcpp::tokenizer::utf8;

const std::vector<std::string> kNames = {"qwen3", "gpt2", "mistral-7b", "bert-base-uncased",
                                         "albert-unigram"};

std::vector<std::string> corpus_texts() {
  std::vector<std::string> out;
  for (const auto& c : json::parse(read_text(fixture("tokenizers/corpus.json")))) {
    out.push_back(c["text"].get<std::string>());
  }
  return out;
}

// A scratch folder per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("mlxcpp_tok_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(path_ / name, std::ios::binary) << content;
    return (path_ / name).string();
  }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

// A small valid tokenizer.json (WordLevel) that the error tests corrupt one field at a time.
json small_tokenizer() {
  return json::parse(R"({
    "version": "1.0", "added_tokens": [{"id": 3, "content": "<eos>", "special": true}],
    "normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "Whitespace"},
    "post_processor": null, "decoder": null,
    "model": {"type": "WordLevel", "vocab": {"<unk>": 0, "hello": 1, "world": 2},
              "unk_token": "<unk>"}})");
}

// --- UTF-8 repair ----------------------------------------------------------------

TEST(Utf8Repair, ReplacesMaximalIllFormedSubpartsAsTheUnicodeStandardSays) {
  const std::string r(utf8::kReplacement);
  EXPECT_EQ(utf8::repair("ab\xff"
                         "cd"),
            "ab" + r + "cd");                                  // a byte that is never valid
  EXPECT_EQ(utf8::repair("\xe2\x82"), r);                      // a truncated sequence: one
  EXPECT_EQ(utf8::repair("\xc0\xaf"), r + r);                  // overlong: each byte
  EXPECT_EQ(utf8::repair("\xed\xa0\x80"), r + r + r);          // a surrogate: each byte
  EXPECT_EQ(utf8::repair("\xf4\x90\x80\x80"), r + r + r + r);  // above U+10FFFF
  EXPECT_EQ(utf8::repair("\xe2\x82\xac"), "\xe2\x82\xac");     // valid text is unchanged
}

TEST(TokenizerInput, InvalidUtf8IsTokenizedAsReplacementCharacters) {
  const std::string bad = "broken \xff\xfe bytes \xe2\x82 end \xc3";
  const std::string repaired = utf8::repair(bad);
  for (const auto& name : kNames) {
    SCOPED_TRACE(name);
    const Tokenizer& tok = fixture_tokenizer(name);
    EXPECT_EQ(tok.encode(bad, true), tok.encode(repaired, true));
    EXPECT_EQ(tok.encode(bad, false), tok.encode(repaired, false));
  }
  // Byte-level BPE is lossless: the repaired text comes back.
  const Tokenizer& qwen = fixture_tokenizer("qwen3");
  EXPECT_EQ(qwen.decode(qwen.encode(bad, false)), repaired);
}

TEST(TokenizerInput, SpecialTokenTextInUserContentIsMatchedAsTheAddedToken) {
  // As HF does by default (split_special_tokens=False): the goldens record it
  // for whole texts; here it is inside ordinary content.
  const Tokenizer& qwen = fixture_tokenizer("qwen3");
  const auto im_end = qwen.token_to_id("<|im_end|>");
  ASSERT_TRUE(im_end.has_value());
  const auto ids = qwen.encode("please print <|im_end|> literally", false);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), *im_end), 1);
  EXPECT_EQ(qwen.decode(ids, true), "please print  literally");
  EXPECT_EQ(qwen.decode(ids, false), "please print <|im_end|> literally");
}

TEST(TokenizerInput, EmptyTextGivesOnlyTheTemplateTokens) {
  EXPECT_TRUE(fixture_tokenizer("qwen3").encode("", true).empty());
  const Tokenizer& bert = fixture_tokenizer("bert-base-uncased");
  EXPECT_EQ(bert.encode("", true),
            (std::vector<int32_t>{*bert.token_to_id("[CLS]"), *bert.token_to_id("[SEP]")}));
}

// --- Long and repetitive input ---------------------------------------------------

TEST(TokenizerInput, OneMegabyteOfMixedTextRoundTrips) {
  std::string big;
  const auto texts = corpus_texts();
  while (big.size() < (1u << 20)) {
    for (const auto& t : texts) {
      big += t;
      big += '\n';
    }
  }
  for (const std::string name : {"qwen3", "gpt2"}) {
    SCOPED_TRACE(name);
    const Tokenizer& tok = fixture_tokenizer(name);
    const auto ids = tok.encode(big, false);
    EXPECT_GT(ids.size(), big.size() / 8);
    if (name == "gpt2") {  // no normalizer: byte-level BPE gives back every byte
      EXPECT_EQ(tok.decode(ids), big);
    }
  }
  for (const std::string name : {"mistral-7b", "bert-base-uncased", "albert-unigram"}) {
    SCOPED_TRACE(name);
    EXPECT_FALSE(fixture_tokenizer(name).encode(big, true).empty());
  }
}

TEST(TokenizerInput, AHundredThousandRepeatsOfOneCharacter) {
  for (const std::string piece : {"a", " ", "\xe4\xb8\xad", "1"}) {
    std::string text;
    for (int i = 0; i < 100000; ++i) {
      text += piece;
    }
    for (const auto& name : kNames) {
      SCOPED_TRACE(name + " / " + piece);
      const Tokenizer& tok = fixture_tokenizer(name);
      const auto ids = tok.encode(text, false);
      // BERT's and ALBERT's normalizers drop whitespace; the others keep it.
      const bool drops_spaces = name == "bert-base-uncased" || name == "albert-unigram";
      EXPECT_EQ(ids.empty(), piece == " " && drops_spaces);
      if (name == "gpt2" || name == "qwen3") {
        EXPECT_EQ(tok.decode(ids), text);
      }
    }
  }
}

// --- Batches, offsets, vocabulary ------------------------------------------------

TEST(TokenizerApi, EncodeBatchEqualsEncodeOfEachText) {
  const auto texts = corpus_texts();
  for (const auto& name : kNames) {
    SCOPED_TRACE(name);
    const Tokenizer& tok = fixture_tokenizer(name);
    const auto batch = tok.encode_batch(texts, true);
    ASSERT_EQ(batch.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      EXPECT_EQ(batch[i], tok.encode(texts[i], true)) << texts[i];
    }
  }
}

TEST(TokenizerApi, OffsetsPointAtTheTextOfEachToken) {
  const Tokenizer& gpt2 = fixture_tokenizer("gpt2");
  const Encoding e = gpt2.encode_with_offsets("Hello world", false);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e.offsets[0], (std::pair<size_t, size_t>{0, 5}));
  EXPECT_EQ(e.offsets[1], (std::pair<size_t, size_t>{5, 11}));

  const Tokenizer& bert = fixture_tokenizer("bert-base-uncased");
  const Encoding b = bert.encode_with_offsets("Hello, WORLD", true);
  ASSERT_EQ(b.tokens, (std::vector<std::string>{"[CLS]", "hello", ",", "world", "[SEP]"}));
  EXPECT_EQ(b.offsets,
            (std::vector<std::pair<size_t, size_t>>{{0, 0}, {0, 5}, {5, 6}, {7, 12}, {0, 0}}));
  EXPECT_EQ(b.special_tokens_mask, (std::vector<uint8_t>{1, 0, 0, 0, 1}));

  // For the byte-level BPE without normalizer, the tokens' ranges cover every corpus
  // text in order without gaps (tokens holding bytes of one character both cover it).
  for (const auto& text : corpus_texts()) {
    const Encoding enc = gpt2.encode_with_offsets(text, false);
    if (text.empty()) {
      EXPECT_EQ(enc.size(), 0u);
      continue;
    }
    ASSERT_GT(enc.size(), 0u);
    EXPECT_EQ(enc.offsets.front().first, 0u) << text;
    EXPECT_EQ(enc.offsets.back().second, text.size()) << text;
    for (size_t i = 1; i < enc.size(); ++i) {
      EXPECT_GE(enc.offsets[i].first, enc.offsets[i - 1].first) << text;
      EXPECT_LE(enc.offsets[i].first, enc.offsets[i - 1].second) << text;
      EXPECT_GE(enc.offsets[i].second, enc.offsets[i - 1].second) << text;
    }
  }
}

TEST(TokenizerApi, VocabularyLookups) {
  const Tokenizer& qwen = fixture_tokenizer("qwen3");
  EXPECT_EQ(qwen.vocab_size(), 151643u + 26u);  // model vocabulary + added tokens
  EXPECT_EQ(qwen.token_to_id("<|endoftext|>"), 151643);
  EXPECT_EQ(qwen.id_to_token(151645), "<|im_end|>");
  EXPECT_TRUE(qwen.is_special(151645));
  EXPECT_EQ(qwen.token_to_id("Hello"), 9707);  // from the goldens ("Hello world")
  EXPECT_EQ(qwen.id_to_token(9707), "Hello");
  EXPECT_FALSE(qwen.is_special(9707));
  EXPECT_EQ(qwen.token_to_id("no such token"), std::nullopt);
  EXPECT_EQ(qwen.id_to_token(-1), std::nullopt);
  EXPECT_EQ(qwen.id_to_token(1 << 30), std::nullopt);
  EXPECT_EQ(fixture_tokenizer("gpt2").vocab_size(), 50257u);
  EXPECT_EQ(fixture_tokenizer("bert-base-uncased").vocab_size(), 30522u);
  EXPECT_EQ(fixture_tokenizer("albert-unigram").vocab_size(), 30000u);
}

TEST(TokenizerApi, DecodeRejectsUnknownIds) {
  for (const auto& name : kNames) {
    SCOPED_TRACE(name);
    const Tokenizer& tok = fixture_tokenizer(name);
    const std::vector<int32_t> bad = {-1};
    expect_invalid_id([&] { tok.decode(bad); });
    const std::vector<int32_t> huge = {static_cast<int32_t>(tok.vocab_size() + 1000)};
    expect_invalid_id([&] { tok.decode(huge); });
  }
  const Tokenizer sp = Tokenizer::from_file(fixture("tokenizers/albert-unigram/spiece.model"));
  const std::vector<int32_t> bad = {30000};
  expect_invalid_id([&] { sp.decode(bad); });
}

// --- Config files ----------------------------------------------------------------

TEST(TokenizerConfigFiles, SpecialTokensTemplatesAndStopTokens) {
  const Tokenizer& qwen = fixture_tokenizer("qwen3");
  const json cfg = json::parse(read_text(fixture("tokenizers/qwen3/tokenizer_config.json")));
  EXPECT_EQ(qwen.config().special("eos_token"), cfg["eos_token"].get<std::string>());
  EXPECT_EQ(qwen.config().special("bos_token"), std::nullopt);  // null in the file
  EXPECT_EQ(qwen.config().chat_template(), cfg["chat_template"].get<std::string>());
  EXPECT_EQ(qwen.config().add_bos_token, false);
  EXPECT_EQ(qwen.config().model_max_length, cfg["model_max_length"].get<int64_t>());
  EXPECT_EQ(qwen.eos_token_ids(), std::vector<int32_t>{*qwen.token_to_id("<|im_end|>")});
  EXPECT_EQ(qwen.config().additional_special_tokens.size(),
            cfg["additional_special_tokens"].size());

  const Tokenizer& mistral = fixture_tokenizer("mistral-7b");
  EXPECT_EQ(mistral.bos_token_id(), mistral.token_to_id("<s>"));
  EXPECT_EQ(mistral.eos_token_ids(), std::vector<int32_t>{*mistral.token_to_id("</s>")});
  EXPECT_FALSE(mistral.config().model_max_length.has_value());  // 1e30 does not fit
  EXPECT_TRUE(mistral.strips_leading_space());
  EXPECT_FALSE(qwen.strips_leading_space());

  // BERT-style folders hold only tokenizer.json.
  EXPECT_TRUE(fixture_tokenizer("bert-base-uncased").config().special_tokens.empty());
}

TEST(TokenizerConfigFiles, GenerationConfigAndTemplateLists) {
  tokenizer::TokenizerConfig c;
  tokenizer::parse_generation_config(R"({"eos_token_id": [7, 9], "bos_token_id": 1})", "g", c);
  EXPECT_EQ(c.generation_eos_token_ids, (std::vector<int32_t>{7, 9}));
  EXPECT_EQ(c.generation_bos_token_id, 1);
  tokenizer::TokenizerConfig d;
  tokenizer::parse_generation_config(R"({"eos_token_id": 5})", "g", d);
  EXPECT_EQ(d.generation_eos_token_ids, std::vector<int32_t>{5});

  tokenizer::TokenizerConfig t;
  tokenizer::parse_tokenizer_config(
      R"({"chat_template": [{"name": "default", "template": "A"}, {"name": "tool_use", "template": "B"}],
          "eos_token": {"content": "</s>", "lstrip": false}})",
      "t", t);
  EXPECT_EQ(t.chat_template(), "A");
  EXPECT_EQ(t.chat_template("tool_use"), "B");
  EXPECT_EQ(t.chat_template("missing"), std::nullopt);
  EXPECT_EQ(t.special("eos_token"), "</s>");

  // A folder whose generation_config.json lists several stop tokens.
  TempDir dir;
  dir.write("tokenizer.json", small_tokenizer().dump());
  dir.write("generation_config.json", R"({"eos_token_id": [3, 2]})");
  const Tokenizer tok = Tokenizer::from_folder(dir.str());
  EXPECT_EQ(tok.eos_token_ids(), (std::vector<int32_t>{3, 2}));
  EXPECT_EQ(tok.encode("Hello WORLD <eos> nope", false), (std::vector<int32_t>{1, 2, 3, 0}));
}

// --- Streaming detokenizer -------------------------------------------------------

TEST(StreamingDetokenizer, GivesTheFullDecodeOneFinalPieceAtATime) {
  for (const auto& name : kNames) {
    const Tokenizer& tok = fixture_tokenizer(name);
    for (const json& r : read_jsonl(fixture("tokenizers/goldens/" + name + ".jsonl"))) {
      SCOPED_TRACE(name + " / " + r["id"].get<std::string>());
      const auto ids = r["ids"].get<std::vector<int32_t>>();
      const std::string full = r["decoded"].get<std::string>();
      StreamingDetokenizer stream(tok);
      std::string collected;
      for (int32_t id : ids) {
        stream.add_token(id);
        collected += stream.last_segment();
        // What has been emitted is final: valid UTF-8 and a prefix of the whole text.
        ASSERT_TRUE(utf8::is_valid(stream.text()));
        ASSERT_EQ(full.compare(0, stream.text().size(), stream.text()), 0) << stream.text();
      }
      stream.finalize();
      collected += stream.last_segment();
      EXPECT_EQ(stream.text(), full);
      EXPECT_EQ(collected, full);
    }
  }
}

TEST(StreamingDetokenizer, SentencePieceModelKeepsItsSpaces) {
  const Tokenizer sp = Tokenizer::from_file(fixture("tokenizers/albert-unigram/spiece.model"));
  for (const auto& text : corpus_texts()) {
    SCOPED_TRACE(text);
    const auto ids = sp.encode(text, false);
    StreamingDetokenizer stream(sp);
    for (int32_t id : ids) {
      stream.add_token(id);
    }
    stream.finalize();
    EXPECT_EQ(stream.text(), sp.decode(ids));
  }
}

TEST(StreamingDetokenizer, WaitsForTheLastByteOfACharacter) {
  const Tokenizer& gpt2 = fixture_tokenizer("gpt2");
  const std::string llama = "\xf0\x9f\xa6\x99";  // U+1F999, several byte tokens in GPT-2
  const auto ids = gpt2.encode(llama, false);
  ASSERT_GT(ids.size(), 1u);
  StreamingDetokenizer stream(gpt2);
  for (size_t i = 0; i + 1 < ids.size(); ++i) {
    stream.add_token(ids[i]);
    EXPECT_EQ(stream.last_segment(), "");
  }
  stream.add_token(ids.back());
  EXPECT_EQ(stream.last_segment(), llama);
}

TEST(StreamingDetokenizer, UnknownIdChangesNothing) {
  StreamingDetokenizer stream(fixture_tokenizer("qwen3"));
  stream.add_token(9707);
  expect_invalid_id([&] { stream.add_token(-5); });
  EXPECT_EQ(stream.tokens(), std::vector<int32_t>{9707});
  EXPECT_EQ(stream.text(), "Hello");
  stream.reset();
  EXPECT_TRUE(stream.tokens().empty());
  EXPECT_EQ(stream.text(), "");
}

// --- Bad files -------------------------------------------------------------------

template <typename E, typename F>
void expect_error(F&& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one saying \"" << fragment << "\"";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(TokenizerErrors, MissingFolderOrFiles) {
  expect_error<IoError>([] { Tokenizer::from_folder("/nonexistent/model"); }, "is not a folder");
  TempDir dir;
  expect_error<IoError>([&] { Tokenizer::from_folder(dir.str()); },
                        "neither tokenizer.json nor tokenizer.model");
  expect_error<IoError>([] { Tokenizer::from_file("/nonexistent/tokenizer.json"); },
                        "is not a file");
}

TEST(TokenizerErrors, MalformedTokenizerJson) {
  const std::vector<std::pair<std::function<void(json&)>, std::string>> cases = {
      {[](json& j) { j["model"]["type"] = "Frobnicate"; }, "unknown model type \"Frobnicate\""},
      {[](json& j) { j.erase("model"); }, "\"model\""},
      {[](json& j) { j["model"]["vocab"]["x"] = "seven"; }, "expected an integer id"},
      {[](json& j) { j["model"]["vocab"]["x"] = -4; }, "out of range"},
      {[](json& j) {
         j["normalizer"] = {{"type", "Nope"}};
       },
       "unknown normalizer type"},
      {[](json& j) {
         j["pre_tokenizer"] = {{"type", "Nope"}};
       },
       "unknown pre-tokenizer type"},
      {[](json& j) {
         j["post_processor"] = {{"type", "Nope"}};
       },
       "unknown post-processor type"},
      {[](json& j) {
         j["decoder"] = {{"type", "Nope"}};
       },
       "unknown decoder type"},
      {[](json& j) {
         j["pre_tokenizer"] = {
             {"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
       },
       "cannot compile"},
      {[](json& j) {
         j["pre_tokenizer"] = {
             {"type", "Split"}, {"pattern", {{"String", " "}}}, {"behavior", "Sideways"}};
       },
       "unknown split behavior"},
      {[](json& j) {
         j["added_tokens"] = {{{"id", 9}, {"content", ""}}};
       },
       "cannot be empty"},
      {[](json& j) { j["added_tokens"] = 5; }, "expected an array"},
      {[](json& j) {
         j["post_processor"] = {{"type", "TemplateProcessing"},
                                {"single", {{{"SpecialToken", {{"id", "[X]"}}}}}},
                                {"special_tokens", json::object()}};
       },
       "is not in special_tokens"},
      {[](json& j) {
         j["model"] = {{"type", "BPE"}, {"vocab", {{"a", 0}, {"b", 1}}}, {"merges", {"a c"}}};
       },
       "is not in the vocabulary"},
      {[](json& j) {
         j["model"] = {{"type", "BPE"}, {"vocab", {{"a", 0}}}, {"merges", {"a b c"}}};
       },
       "is not two tokens"},
      {[](json& j) {
         j["model"] = {{"type", "Unigram"}, {"vocab", {{"a"}}}};
       },
       "expected [piece, score]"},
      {[](json& j) {
         j["model"] = {{"type", "Unigram"},
                       {"vocab", json::array({json::array({"a", -1.0})})},
                       {"unk_id", 4}};
       },
       "unk_id"},
  };
  for (const auto& [mutate, fragment] : cases) {
    SCOPED_TRACE(fragment);
    json j = small_tokenizer();
    mutate(j);
    expect_error<FormatError>([&] { Tokenizer::from_json(j.dump(), "bad.json"); }, fragment);
  }
  expect_error<FormatError>([] { Tokenizer::from_json("{\"model\": ", "bad.json"); },
                            "not valid JSON");
  expect_error<FormatError>([] { Tokenizer::from_json("[1, 2]", "bad.json"); },
                            "expected a JSON object");
}

TEST(TokenizerErrors, MalformedConfigFiles) {
  TempDir dir;
  dir.write("tokenizer.json", small_tokenizer().dump());
  dir.write("tokenizer_config.json", "{\"chat_template\": 7}");
  expect_error<FormatError>([&] { Tokenizer::from_folder(dir.str()); }, "chat_template");
  dir.write("tokenizer_config.json", "{not json");
  expect_error<FormatError>([&] { Tokenizer::from_folder(dir.str()); }, "not valid JSON");
  dir.write("tokenizer_config.json", "{\"add_bos_token\": \"yes\"}");
  expect_error<FormatError>([&] { Tokenizer::from_folder(dir.str()); }, "add_bos_token");
  dir.write("tokenizer_config.json", "{}");
  dir.write("generation_config.json", "{\"eos_token_id\": \"two\"}");
  expect_error<FormatError>([&] { Tokenizer::from_folder(dir.str()); }, "eos_token_id");
}

TEST(TokenizerErrors, CorruptSentencePieceModel) {
  TempDir dir;
  const std::string path =
      dir.write("tokenizer.model", std::string("\x0a\xff\xff\xff garbage", 13));
  expect_error<FormatError>([&] { Tokenizer::from_folder(dir.str()); },
                            "not a SentencePiece model");
  expect_error<FormatError>([&] { Tokenizer::from_file(path); }, "not a SentencePiece model");
}

}  // namespace
}  // namespace mlxcpp::test
