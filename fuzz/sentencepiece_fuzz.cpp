// libFuzzer target: a SentencePiece .model file (protobuf), then encoding and decoding.
#include "fuzz_util.h"
#include "mlxcpp/tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlxcpp;
  fuzz::TempFile file(data, size);  // no .json suffix: read as SentencePiece
  fuzz::expect_clean([&] {
    const Tokenizer tok = Tokenizer::from_file(file.path());
    const auto ids = tok.encode("Hello world! \xc3\xa9t\xc3\xa9 123 \xf0\x9f\x98\x80", true);
    (void)tok.decode(ids);
    const std::vector<int32_t> probe = {0, 1, 2, int32_t(tok.vocab_size()), -1};
    (void)tok.decode(probe);
  });
  return 0;
}
