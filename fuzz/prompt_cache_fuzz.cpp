// libFuzzer target: a prompt-cache file (mlx-lm's safetensors layout) for a model with
// standard and rotating layers (gemma3_text), one with conv state (lfm2) and one whose
// standard layers may come back quantized (qwen3); a cache that loads must also carry the
// model through a decode step. Seeds: fuzz/seeds/prompt_cache (save_prompt_cache of these
// fixture models after an 8- to 11-token prompt; the qwen3 one with an 8-bit KV cache).
#include "fuzz_util.h"
#include "mlxcpp/lm/load.h"
#include "mlxcpp/lm/prompt_cache.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlxcpp;
  static const lm::LoadedModel models[] = {lm::load(MLXCPP_FIXTURES_DIR "/lm/gemma3_text"),
                                           lm::load(MLXCPP_FIXTURES_DIR "/lm/lfm2"),
                                           lm::load(MLXCPP_FIXTURES_DIR "/lm/qwen3")};
  fuzz::TempFile file(data, size);
  for (const auto& m : models) {
    fuzz::expect_clean([&] {
      lm::Cache cache = lm::load_prompt_cache(file.path(), *m.model);
      auto logits = (*m.model)(array({5}, {1, 1}, int32), &cache);
      fuzz::touch(logits);
    });
  }
  return 0;
}
