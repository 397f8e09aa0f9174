// Random-weight GGUF files in llama.cpp's layout, for running llama.cpp's llama-bench on the
// same model shapes as `mlxcpp bench` (scripts/bench_vs_llama_cpp.sh).
//
//   random_gguf --model qwen3-0.6b|llama-1b --type q4_0|q8_0|f16|bf16 --out FILE [--seed N]
//
// Tensor names, metadata keys and value types are those of convert_hf_to_gguf.py (llama.cpp
// checks the GGUF type of every key it reads: counts are uint32, epsilons and bases float32).
// Weights ~ N(0, 0.02^2), norm weights one and float32. q4_0 / q8_0 quantize every matrix,
// the tied token embedding (= output projection) included, as `llama-quantize --pure` does;
// llama-quantize's default would keep that one tensor at Q6_K (q4_0) or Q8_0 (q8_0).
// The vocabulary is a dummy SentencePiece ("llama") one of the model's size: <unk>, <s>,
// </s>, the 256 byte tokens and numbered tokens, enough for llama.cpp to load the model.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <numbers>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlxcpp/mlxcpp.h"
#include "tools/cli/bench_shapes.h"

namespace mx = mlxcpp;

namespace {

struct ModelShape {
  std::string arch;  // general.architecture
  int hidden, layers, heads, kv_heads, head_dim, ffn, vocab, context;
  float rope_theta, rms_eps;
  bool qk_norm;
  // Llama 3 RoPE scaling (rope_freqs.weight); factor 0 = none.
  float rope_factor, low_freq_factor, high_freq_factor;
  int original_context;
};

// The shape `mlxcpp bench` runs under this name (tools/cli/bench_shapes.h), or nullopt.
std::optional<ModelShape> shape_of(const std::string& model) {
  const auto& configs = mx::cli::bench_model_configs();
  const auto it = configs.find(model);
  if (it == configs.end()) {
    return std::nullopt;
  }
  const auto c = nlohmann::json::parse(it->second);
  const auto scaling = c.value("rope_scaling", nlohmann::json::object());
  ModelShape m;
  m.arch = c.at("model_type").get<std::string>();
  m.hidden = c.at("hidden_size").get<int>();
  m.layers = c.at("num_hidden_layers").get<int>();
  m.heads = c.at("num_attention_heads").get<int>();
  m.kv_heads = c.at("num_key_value_heads").get<int>();
  m.head_dim = c.at("head_dim").get<int>();
  m.ffn = c.at("intermediate_size").get<int>();
  m.vocab = c.at("vocab_size").get<int>();
  m.context = c.at("max_position_embeddings").get<int>();
  m.rope_theta = c.at("rope_theta").get<float>();
  m.rms_eps = c.at("rms_norm_eps").get<float>();
  m.qk_norm = m.arch == "qwen3";
  m.rope_factor = scaling.value("factor", 0.0f);
  m.low_freq_factor = scaling.value("low_freq_factor", 0.0f);
  m.high_freq_factor = scaling.value("high_freq_factor", 0.0f);
  m.original_context = scaling.value("original_max_position_embeddings", 0);
  return m;
}

// llama_ftype values (llama.h) for general.file_type.
uint32_t file_type_of(const std::string& type) {
  if (type == "f16") {
    return 1;
  }
  if (type == "q4_0") {
    return 2;
  }
  if (type == "q8_0") {
    return 7;
  }
  if (type == "bf16") {
    return 32;
  }
  return 0;
}

mx::GGUFMetaData u32(uint32_t v) {
  return mx::array(v, mx::uint32);
}
mx::GGUFMetaData f32(float v) {
  return mx::array(v, mx::float32);
}

// Per-frequency RoPE factors of Llama 3 scaling, as convert_hf_to_gguf.py computes them.
mx::array llama3_rope_factors(const ModelShape& m) {
  std::vector<float> factors;
  const double low_wavelen = m.original_context / m.low_freq_factor;
  const double high_wavelen = m.original_context / m.high_freq_factor;
  for (int i = 0; i < m.head_dim; i += 2) {
    const float freq = 1.0f / std::pow(m.rope_theta, static_cast<float>(i) / m.head_dim);
    const double wavelen = 2 * std::numbers::pi / freq;
    if (wavelen < high_wavelen) {
      factors.push_back(1.0f);
    } else if (wavelen > low_wavelen) {
      factors.push_back(m.rope_factor);
    } else {
      const double smooth = (m.original_context / wavelen - m.low_freq_factor) /
                            (m.high_freq_factor - m.low_freq_factor);
      factors.push_back(static_cast<float>(1 / ((1 - smooth) / m.rope_factor + smooth)));
    }
  }
  return mx::array(factors.begin(), {static_cast<int>(factors.size())}, mx::float32);
}

// A dummy SentencePiece vocabulary of n tokens (llama-vocab.cpp needs unique token texts).
void add_vocab(std::unordered_map<std::string, mx::GGUFMetaData>& meta, int n) {
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;  // 1 normal, 2 unknown, 3 control, 6 byte
  tokens.reserve(n);
  for (int i = 0; i < n; ++i) {
    if (i == 0) {
      tokens.emplace_back("<unk>");
      types.push_back(2);
    } else if (i == 1) {
      tokens.emplace_back("<s>");
      types.push_back(3);
    } else if (i == 2) {
      tokens.emplace_back("</s>");
      types.push_back(3);
    } else if (i < 3 + 256) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "<0x%02X>", i - 3);
      tokens.emplace_back(buf);
      types.push_back(6);
    } else {
      tokens.push_back("\xe2\x96\x81t" + std::to_string(i));  // "▁t<i>"
      types.push_back(1);
    }
    scores.push_back(i < 3 + 256 ? 0.0f : -static_cast<float>(i));
  }
  meta["tokenizer.ggml.model"] = std::string("llama");
  meta["tokenizer.ggml.tokens"] = std::move(tokens);
  meta["tokenizer.ggml.scores"] = mx::array(scores.begin(), {n}, mx::float32);
  meta["tokenizer.ggml.token_type"] = mx::array(types.begin(), {n}, mx::int32);
  meta["tokenizer.ggml.unknown_token_id"] = u32(0);
  meta["tokenizer.ggml.bos_token_id"] = u32(1);
  meta["tokenizer.ggml.eos_token_id"] = u32(2);
  meta["tokenizer.ggml.add_bos_token"] = mx::array(true);
  meta["tokenizer.ggml.add_eos_token"] = mx::array(false);
}

class Generator {
 public:
  Generator(std::string type, uint64_t seed) : type_(std::move(type)), seed_(seed) {}

  // A weight of MLX shape {rows, cols} (GGUF ne = {cols, rows}: cols is the row length).
  void matrix(const std::string& name, int rows, int cols) {
    const mx::array key = mx::random::key(seed_ + count_++);
    if (type_ == "q4_0" || type_ == "q8_0") {
      const mx::array w = mx::random::normal({rows, cols}, mx::float32, 0.0f, 0.02f, key);
      auto q = mx::io::gguf_quantize(w, type_ == "q4_0" ? "Q4_0" : "Q8_0");
      const std::string prefix = name.substr(0, name.size() - std::strlen(".weight"));
      arrays_.insert_or_assign(name, q[0]);
      arrays_.insert_or_assign(prefix + ".scales", q[1]);
      arrays_.insert_or_assign(prefix + ".biases", q[2]);
    } else {
      const mx::Dtype dt = type_ == "bf16" ? mx::bfloat16 : mx::float16;
      mx::array w = mx::astype(mx::random::normal({rows, cols}, mx::float32, 0.0f, 0.02f, key), dt);
      w.eval();
      arrays_.insert_or_assign(name, w);
    }
  }

  void ones(const std::string& name, int n) {
    arrays_.insert_or_assign(name, mx::ones({n}, mx::float32));
  }

  void put(const std::string& name, mx::array a) { arrays_.insert_or_assign(name, std::move(a)); }

  std::unordered_map<std::string, mx::array>& arrays() { return arrays_; }

 private:
  std::string type_;
  uint64_t seed_;
  uint64_t count_ = 0;
  std::unordered_map<std::string, mx::array> arrays_;
};

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s --model qwen3-0.6b|llama-1b --type q4_0|q8_0|f16|bf16 --out FILE "
               "[--seed N]\n",
               argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model, type, out;
  uint64_t seed = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) {
      return usage(argv[0]);
    }
    if (arg == "--model") {
      model = argv[++i];
    } else if (arg == "--type") {
      type = argv[++i];
    } else if (arg == "--out") {
      out = argv[++i];
    } else if (arg == "--seed") {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      return usage(argv[0]);
    }
  }
  const std::optional<ModelShape> m = shape_of(model);
  if (!m || file_type_of(type) == 0 || out.empty()) {
    return usage(argv[0]);
  }
  if (!out.ends_with(".gguf")) {
    out += ".gguf";  // as save_gguf does
  }
  try {
    const std::string& a = m->arch;
    std::unordered_map<std::string, mx::GGUFMetaData> meta;
    meta["general.architecture"] = a;
    meta["general.name"] = "random " + model + " " + type;
    meta["general.file_type"] = u32(file_type_of(type));
    meta["general.quantization_version"] = u32(2);
    meta[a + ".vocab_size"] = u32(m->vocab);
    meta[a + ".context_length"] = u32(m->context);
    meta[a + ".embedding_length"] = u32(m->hidden);
    meta[a + ".block_count"] = u32(m->layers);
    meta[a + ".feed_forward_length"] = u32(m->ffn);
    meta[a + ".attention.head_count"] = u32(m->heads);
    meta[a + ".attention.head_count_kv"] = u32(m->kv_heads);
    meta[a + ".attention.key_length"] = u32(m->head_dim);
    meta[a + ".attention.value_length"] = u32(m->head_dim);
    meta[a + ".attention.layer_norm_rms_epsilon"] = f32(m->rms_eps);
    meta[a + ".rope.freq_base"] = f32(m->rope_theta);
    meta[a + ".rope.dimension_count"] = u32(m->head_dim);
    add_vocab(meta, m->vocab);

    Generator g(type, seed);
    const int q_dim = m->heads * m->head_dim;
    const int kv_dim = m->kv_heads * m->head_dim;
    g.matrix("token_embd.weight", m->vocab, m->hidden);  // tied: no output.weight
    g.ones("output_norm.weight", m->hidden);
    if (m->rope_factor > 0) {
      g.put("rope_freqs.weight", llama3_rope_factors(*m));
    }
    for (int l = 0; l < m->layers; ++l) {
      const std::string b = "blk." + std::to_string(l) + ".";
      g.ones(b + "attn_norm.weight", m->hidden);
      g.matrix(b + "attn_q.weight", q_dim, m->hidden);
      g.matrix(b + "attn_k.weight", kv_dim, m->hidden);
      g.matrix(b + "attn_v.weight", kv_dim, m->hidden);
      g.matrix(b + "attn_output.weight", m->hidden, q_dim);
      if (m->qk_norm) {
        g.ones(b + "attn_q_norm.weight", m->head_dim);
        g.ones(b + "attn_k_norm.weight", m->head_dim);
      }
      g.ones(b + "ffn_norm.weight", m->hidden);
      g.matrix(b + "ffn_gate.weight", m->ffn, m->hidden);
      g.matrix(b + "ffn_up.weight", m->ffn, m->hidden);
      g.matrix(b + "ffn_down.weight", m->hidden, m->ffn);
    }
    mx::save_gguf(out, std::move(g.arrays()), std::move(meta));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "random_gguf: %s\n", e.what());
    return 1;
  }
  std::printf("wrote %s (%s, %s)\n", out.c_str(), model.c_str(), type.c_str());
  return 0;
}
