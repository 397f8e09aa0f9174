// libFuzzer target: a tokenizer.json (every model, normalizer, pre-tokenizer, post-processor
// and decoder kind it names), then encoding and decoding with whatever loaded, since a file
// that loads must also be safe to use.
#include "fuzz_util.h"
#include "mlxcpp/tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlxcpp;
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  fuzz::expect_clean([&] {
    const Tokenizer tok = Tokenizer::from_json(json, "fuzz/tokenizer.json");
    const auto ids =
        tok.encode("Hello world! \xc3\xa9t\xc3\xa9 123 <s> \xf0\x9f\x98\x80 \xff", true);
    (void)tok.decode(ids);
    (void)tok.decode(ids, true);
    const std::vector<int32_t> probe = {0, 1, 2, 3, int32_t(tok.vocab_size()), -1, 1 << 30};
    (void)tok.decode(probe);
    StreamingDetokenizer stream(tok);
    for (int32_t id : ids) {
      stream.add_token(id);
      (void)stream.last_segment();
    }
    stream.finalize();
  });
  return 0;
}
