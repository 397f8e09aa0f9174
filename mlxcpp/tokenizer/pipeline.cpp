// The tokenizer.json pipeline: added tokens, normalizer, pre-tokenizer,
// model, post-processor on the way in; the decoder on the way out.
#include <stdexcept>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/tokenizer/added_vocabulary.h"
#include "mlxcpp/tokenizer/backend.h"
#include "mlxcpp/tokenizer/decoders.h"
#include "mlxcpp/tokenizer/models/model.h"
#include "mlxcpp/tokenizer/normalizers.h"
#include "mlxcpp/tokenizer/post_processors.h"
#include "mlxcpp/tokenizer/pre_tokenizers.h"

namespace mlxcpp::tokenizer {

namespace {

class JsonPipeline : public Backend {
 public:
  explicit JsonPipeline(const json& j) {
    if (!j.is_object()) {
      throw ConfigError("expected a JSON object, got " + jsonu::type_name(j));
    }
    auto field = [&](const char* key) -> const json& {
      static const json kNull;
      return j.contains(key) ? j[key] : kNull;
    };
    normalizer_ = make_normalizer(field("normalizer"));
    pre_tokenizer_ = make_pre_tokenizer(field("pre_tokenizer"));
    model_ = make_model(jsonu::require(j, "model", "tokenizer"));
    post_processor_ = make_post_processor(field("post_processor"));
    decoder_ = make_decoder(field("decoder"));
    const json& dec = field("decoder");
    strips_leading_space_ = decoder_strips_space(dec);
    added_ = AddedVocabulary(read_added_tokens(field("added_tokens"), "added_tokens"),
                             [this](std::string_view s) {
                               NormalizedString ns{std::string(s)};
                               if (normalizer_) {
                                 normalizer_->normalize(ns);
                               }
                               return ns.get();
                             });
    size_ = model_->vocab().size();
    for (const auto& t : added_.tokens()) {
      if (!model_->token_to_id(t.content)) {
        ++size_;
      }
    }
  }

  Encoding encode(std::string_view text, bool add_special_tokens,
                  ModelScratch* shared_scratch) const override {
    Encoding enc;
    ModelScratch local;
    ModelScratch& scratch = shared_scratch != nullptr ? *shared_scratch : local;
    for (const AddedSplit& raw : added_.split_raw(text)) {
      if (raw.token) {
        push_added(enc, *raw.token, raw.begin, raw.end);
        continue;
      }
      NormalizedString ns(std::string(text.substr(raw.begin, raw.end - raw.begin)), raw.begin);
      if (normalizer_) {
        normalizer_->normalize(ns);
      }
      for (const AddedSplit& part : added_.split_normalized(ns.get())) {
        if (part.token) {
          const Span span = ns.original_span(part.begin, part.end);
          push_added(enc, *part.token, span.begin, span.end);
        } else if (part.begin < part.end) {
          tokenize_piece(Piece{ns.slice(part.begin, part.end), false}, enc, scratch);
        }
      }
    }
    if (post_processor_) {
      post_processor_->process(enc, add_special_tokens);
    }
    return enc;
  }

  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens) const override {
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (int32_t id : ids) {
      if (const AddedToken* a = added_.by_id(id)) {
        if (!(skip_special_tokens && a->special)) {
          tokens.push_back(a->content);
        }
        continue;
      }
      const std::string* t = model_->id_to_token(id);
      if (t == nullptr) {
        throw std::invalid_argument("[Tokenizer::decode] token id " + std::to_string(id) +
                                    " is not in the vocabulary");
      }
      if (skip_special_tokens) {
        const AddedToken* same = added_.by_content(*t);
        if (same != nullptr && same->special) {
          continue;
        }
      }
      tokens.push_back(*t);
    }
    return decode_tokens(decoder_.get(), std::move(tokens));
  }

  std::optional<int32_t> token_to_id(std::string_view token) const override {
    if (const AddedToken* a = added_.by_content(token)) {
      return a->id;
    }
    return model_->token_to_id(token);
  }

  std::optional<std::string> id_to_token(int32_t id) const override {
    if (const AddedToken* a = added_.by_id(id)) {
      return a->content;
    }
    if (const std::string* t = model_->id_to_token(id)) {
      return *t;
    }
    return std::nullopt;
  }

  size_t vocab_size() const override { return size_; }

  bool is_special(int32_t id) const override {
    const AddedToken* a = added_.by_id(id);
    return a != nullptr && a->special;
  }

  bool strips_leading_space() const override { return strips_leading_space_; }

 private:
  void push_added(Encoding& enc, uint32_t index, size_t begin, size_t end) const {
    const AddedToken& t = added_.tokens()[index];
    enc.push(t.id, t.content, {begin, end}, t.special);
  }

  void tokenize_piece(Piece&& piece, Encoding& enc, ModelScratch& scratch) const {
    std::vector<ModelToken> toks;
    auto run_model = [&](Piece&& p) {
      if (p.text.empty()) {
        return;
      }
      if (p.byte_level && !model_->supports_byte_level()) {
        materialize_byte_level(p);
      }
      const std::string& s = p.text.get();
      toks.clear();
      model_->tokenize(s, p.byte_level, toks, scratch);
      for (const ModelToken& t : toks) {
        const Span span = p.text.original_span(t.begin, t.end);
        std::string token;
        if (t.raw) {
          token = s.substr(t.begin, t.end - t.begin);
        } else if (const std::string* v = model_->id_to_token(t.id)) {
          token = *v;
        }
        enc.push(t.id, std::move(token), {span.begin, span.end}, false);
      }
    };
    if (pre_tokenizer_) {
      pre_tokenizer_->pre_tokenize(std::move(piece), run_model);
    } else {
      run_model(std::move(piece));
    }
  }

  // Metaspace (prepending) and Strip-from-the-start decoders drop a leading space.
  static bool decoder_strips_space(const json& d) {
    if (!d.is_object() || !d.contains("type") || !d["type"].is_string()) {
      return false;
    }
    const std::string type = d["type"].get<std::string>();
    if (type == "Metaspace") {
      return !(d.contains("prepend_scheme") && d["prepend_scheme"] == "never");
    }
    if (type == "Strip") {
      return d.contains("start") && d["start"].is_number_integer() && d["start"].get<int64_t>() > 0;
    }
    if (type == "Sequence" && d.contains("decoders") && d["decoders"].is_array()) {
      for (const auto& e : d["decoders"]) {
        if (decoder_strips_space(e)) {
          return true;
        }
      }
    }
    return false;
  }

  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<PostProcessor> post_processor_;
  std::unique_ptr<Decoder> decoder_;
  AddedVocabulary added_;
  size_t size_ = 0;
  bool strips_leading_space_ = false;
};

}  // namespace

std::unique_ptr<Backend> make_json_backend(std::string_view text, const std::string& file) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw FormatError(file, e.byte, std::string("not valid JSON: ") + e.what());
  } catch (const json::exception& e) {  // e.g. a number too large for a double
    throw FormatError(file, 0, std::string("not valid JSON: ") + e.what());
  }
  try {
    return std::make_unique<JsonPipeline>(j);
  } catch (const ConfigError& e) {
    throw FormatError(file, 0, e.what());
  } catch (const json::exception& e) {
    throw FormatError(file, 0, e.what());
  }
}

}  // namespace mlxcpp::tokenizer
