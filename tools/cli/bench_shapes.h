// The model shapes `mlxcpp bench` reproduces, as the real models' config.json (without
// weights); bench/random_gguf writes GGUF files of the same shapes for llama.cpp.
#pragma once

#include <map>
#include <string>

namespace mlxcpp::cli {

/** Model name ("qwen3-0.6b", "llama-1b") -> its config.json text. */
inline const std::map<std::string, std::string>& bench_model_configs() {
  static const std::map<std::string, std::string> configs = {
      {"qwen3-0.6b",
       R"({"model_type": "qwen3", "hidden_size": 1024, "num_hidden_layers": 28,
           "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128,
           "intermediate_size": 3072, "vocab_size": 151936, "tie_word_embeddings": true,
           "rms_norm_eps": 1e-6, "rope_theta": 1000000, "max_position_embeddings": 40960})"},
      {"llama-1b",
       R"({"model_type": "llama", "hidden_size": 2048, "num_hidden_layers": 16,
           "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 64,
           "intermediate_size": 8192, "vocab_size": 128256, "tie_word_embeddings": true,
           "rms_norm_eps": 1e-5, "rope_theta": 500000, "max_position_embeddings": 131072,
           "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                            "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}})"}};
  return configs;
}

}  // namespace mlxcpp::cli
