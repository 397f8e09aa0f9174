// Random and corrupted input (a seeded, in-test fuzzer): tokenizers, their
// files and chat templates must give a result or the documented error,
// never crash or throw anything else.
#include <random>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/tokenizer/chat_template.h"
#include "mlxcpp/tokenizer/jinja/template.h"
#include "mlxcpp/tokenizer/utf8.h"
#include "tokenizer/tokenizer_test_helpers.h"

namespace mlxcpp::test {
namespace {

const std::vector<std::string> kNames = {"qwen3", "gpt2", "mistral-7b", "bert-base-uncased",
                                         "albert-unigram"};

std::string random_bytes(std::mt19937& rng, size_t max_len) {
  std::uniform_int_distribution<size_t> len(0, max_len);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string s(len(rng), '\0');
  for (char& c : s) {
    c = static_cast<char>(byte(rng));
  }
  return s;
}

TEST(Robustness, RandomBytesEncodeAsTheirRepairAndDecode) {
  std::mt19937 rng(1234);
  for (const auto& name : kNames) {
    SCOPED_TRACE(name);
    const Tokenizer& tok = fixture_tokenizer(name);
    for (int i = 0; i < 200; ++i) {
      const std::string s = random_bytes(rng, 64);
      const auto ids = tok.encode(s, true);
      EXPECT_EQ(ids, tok.encode(tokenizer::utf8::repair(s), true));
      const std::string text = tok.decode(ids);
      EXPECT_TRUE(tokenizer::utf8::is_valid(text));
    }
  }
}

TEST(Robustness, RandomIdsDecodeAndStream) {
  std::mt19937 rng(99);
  for (const auto& name : kNames) {
    SCOPED_TRACE(name);
    const Tokenizer& tok = fixture_tokenizer(name);
    std::uniform_int_distribution<int32_t> id(0, static_cast<int32_t>(tok.vocab_size()) - 1);
    for (int i = 0; i < 50; ++i) {
      std::vector<int32_t> ids;
      for (int k = 0; k < 20; ++k) {
        const int32_t v = id(rng);
        if (tok.id_to_token(v)) {
          ids.push_back(v);
        }
      }
      const std::string full = tok.decode(ids);
      EXPECT_TRUE(tokenizer::utf8::is_valid(full));
      StreamingDetokenizer stream(tok);
      for (int32_t v : ids) {
        stream.add_token(v);
      }
      stream.finalize();
      EXPECT_EQ(stream.text(), full);
    }
  }
}

TEST(Robustness, CorruptedTokenizerJsonGivesFormatErrors) {
  const std::string valid = R"({"version": "1.0", "added_tokens": [{"id": 3, "content": "<eos>",
    "special": true}], "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"},
    {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "}]},
    "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\\w+|\\W"}, "behavior": "Isolated"},
    "post_processor": {"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A"}},
    {"SpecialToken": {"id": "<eos>"}}], "special_tokens": {"<eos>": {"id": "<eos>", "ids": [3],
    "tokens": ["<eos>"]}}}, "decoder": {"type": "Fuse"},
    "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "<eos>": 3}, "merges": ["a b"]}})";
  ASSERT_EQ(Tokenizer::from_json(valid).encode("ab a"), (std::vector<int32_t>{2, 0, 3}));
  std::mt19937 rng(7);
  const std::string alphabet = "{}[]\":,0123456789abtrue-\\ ";
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  int parsed = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string s = valid;
    std::uniform_int_distribution<size_t> at(0, s.size() - 1);
    for (int k = 0; k < 3; ++k) {
      s[at(rng)] = alphabet[pick(rng)];
    }
    try {
      const Tokenizer tok = Tokenizer::from_json(s, "fuzz.json");
      tok.encode("ab ba <eos> \xff");
      ++parsed;
    } catch (const FormatError&) {
    } catch (const Error&) {  // e.g. the unknown token is missing when a piece needs it
    }
  }
  EXPECT_GT(parsed, 0);
  // A number too large for a double (nlohmann throws out_of_range, not parse_error; the
  // safetensors fuzzer found this in the header parser first).
  try {
    Tokenizer::from_json(R"({"version": 1e999999, "model": {"type": "BPE"}})", "huge.json");
    ADD_FAILURE() << "loaded";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos) << e.what();
  }
}

TEST(Robustness, MutatedChatTemplatesFailCleanly) {
  const auto cases = read_jsonl(fixture("chat_templates/goldens.jsonl"));
  std::mt19937 rng(42);
  const std::string alphabet = "{}%#-+()[]'\"|~.,: \nifornotendsetx0";
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  int rendered = 0, errors = 0;
  for (int i = 0; i < 1500; ++i) {
    const json& c = cases[static_cast<size_t>(i) % cases.size()];
    std::string source = read_text(
        fixture("chat_templates/templates/" + c["template"].get<std::string>() + ".jinja"));
    for (int k = 0; k < 4; ++k) {
      const size_t p = std::uniform_int_distribution<size_t>(0, source.size() - 1)(rng);
      switch (rng() % 3) {
        case 0:
          source[p] = alphabet[pick(rng)];
          break;
        case 1:
          source.erase(p, 1);
          break;
        default:
          source.insert(p, 1, alphabet[pick(rng)]);
      }
    }
    ChatTemplateOptions options;
    options.add_generation_prompt = c["add_generation_prompt"].get<bool>();
    options.limits.max_loop_iterations = 100000;
    options.limits.max_output_bytes = 1 << 20;
    try {
      const auto messages = nlohmann::ordered_json::parse(c["messages"].dump());
      apply_chat_template(source, messages, options,
                          nlohmann::ordered_json::parse(c["special_tokens"].dump()));
      ++rendered;
    } catch (const TemplateError&) {
      ++errors;
    }
  }
  EXPECT_GT(rendered, 0);
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace mlxcpp::test
