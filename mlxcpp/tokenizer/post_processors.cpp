#include "mlxcpp/tokenizer/post_processors.h"

#include <algorithm>
#include <unordered_map>

#include "mlxcpp/tokenizer/byte_level.h"
#include "mlxcpp/tokenizer/unicode.h"
#include "mlxcpp/tokenizer/utf8.h"

namespace mlxcpp::tokenizer {

namespace {

// Moves each token's offsets past the spaces its text starts or ends with
// (shown as 'Ġ' in the byte-level alphabet), as the reference's trim_offsets does.
void trim_offsets(Encoding& enc, bool add_prefix_space) {
  auto is_space = [](char32_t c) {
    return c == byte_level::byte_to_char(' ') || unicode::is_whitespace(c);
  };
  for (size_t i = 0; i < enc.size(); ++i) {
    const std::string& t = enc.tokens[i];
    size_t leading = 0;
    size_t pos = 0;
    while (pos < t.size() && is_space(utf8::next(t, pos))) {
      ++leading;
    }
    size_t trailing = 0;
    size_t end = t.size();
    while (end > 0 && trailing < utf8::length(t)) {
      size_t s = utf8::char_start(t, end - 1);
      size_t p = s;
      if (!is_space(utf8::next(t, p))) {
        break;
      }
      ++trailing;
      end = s;
    }
    auto& [b, e] = enc.offsets[i];
    if (leading > 0) {
      const bool first = i == 0 || b == 0;
      if (first && add_prefix_space && leading == 1) {
        leading = 0;
      }
      b = std::min(b + leading, e);
    }
    if (trailing > 0 && e >= trailing) {
      e = std::max(e - trailing, b);
    }
  }
}

struct SpecialTokens {
  std::vector<int32_t> ids;
  std::vector<std::string> tokens;
};

void surround(Encoding& enc, const std::vector<const SpecialTokens*>& before,
              const std::vector<const SpecialTokens*>& after) {
  Encoding out;
  for (const auto* s : before) {
    for (size_t k = 0; k < s->ids.size(); ++k) {
      out.push(s->ids[k], s->tokens[k], {0, 0}, true);
    }
  }
  for (size_t k = 0; k < enc.size(); ++k) {
    out.push(enc.ids[k], std::move(enc.tokens[k]), enc.offsets[k], enc.special_tokens_mask[k] != 0);
  }
  for (const auto* s : after) {
    for (size_t k = 0; k < s->ids.size(); ++k) {
      out.push(s->ids[k], s->tokens[k], {0, 0}, true);
    }
  }
  enc = std::move(out);
}

class ByteLevelProcessor : public PostProcessor {
 public:
  ByteLevelProcessor(bool trim, bool add_prefix_space)
      : trim_(trim), add_prefix_space_(add_prefix_space) {}
  void process(Encoding& enc, bool) const override {
    if (trim_) {
      trim_offsets(enc, add_prefix_space_);
    }
  }

 private:
  bool trim_, add_prefix_space_;
};

// BertProcessing and RobertaProcessing: [CLS] A [SEP].
class ClsSepProcessor : public PostProcessor {
 public:
  ClsSepProcessor(SpecialTokens cls, SpecialTokens sep, bool trim, bool add_prefix_space)
      : cls_(std::move(cls)),
        sep_(std::move(sep)),
        trim_(trim),
        add_prefix_space_(add_prefix_space) {}
  void process(Encoding& enc, bool add_special_tokens) const override {
    if (trim_) {
      trim_offsets(enc, add_prefix_space_);
    }
    if (add_special_tokens) {
      surround(enc, {&cls_}, {&sep_});
    }
  }

 private:
  SpecialTokens cls_, sep_;
  bool trim_, add_prefix_space_;
};

class TemplateProcessor : public PostProcessor {
 public:
  // `single` holds, in order, the special tokens before and after the sequence.
  TemplateProcessor(std::vector<SpecialTokens> before, std::vector<SpecialTokens> after)
      : before_(std::move(before)), after_(std::move(after)) {}
  void process(Encoding& enc, bool add_special_tokens) const override {
    if (!add_special_tokens) {
      return;
    }
    std::vector<const SpecialTokens*> b, a;
    for (const auto& s : before_) {
      b.push_back(&s);
    }
    for (const auto& s : after_) {
      a.push_back(&s);
    }
    surround(enc, b, a);
  }

 private:
  std::vector<SpecialTokens> before_, after_;
};

class SequenceProcessor : public PostProcessor {
 public:
  explicit SequenceProcessor(std::vector<std::unique_ptr<PostProcessor>> items)
      : items_(std::move(items)) {}
  void process(Encoding& enc, bool add_special_tokens) const override {
    for (const auto& p : items_) {
      p->process(enc, add_special_tokens);
    }
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> items_;
};

// A ["token", id] pair of BertProcessing/RobertaProcessing.
SpecialTokens read_pair(const json& j, const char* key, const std::string& where) {
  const json& p = jsonu::require(j, key, where);
  if (!p.is_array() || p.size() != 2 || !p[0].is_string() || !p[1].is_number_integer() ||
      p[1].get<int64_t>() < 0 || p[1].get<int64_t>() > INT32_MAX) {
    throw ConfigError(where + "." + key + ": expected [\"token\", id], got " + p.dump());
  }
  return {{static_cast<int32_t>(p[1].get<int64_t>())}, {p[0].get<std::string>()}};
}

std::unique_ptr<PostProcessor> make_template(const json& j, const std::string& where) {
  std::unordered_map<std::string, SpecialTokens> specials;
  if (j.contains("special_tokens") && !j["special_tokens"].is_null()) {
    const json& st = j["special_tokens"];
    if (!st.is_object()) {
      throw ConfigError(where + ".special_tokens: expected an object, got " + jsonu::type_name(st));
    }
    for (auto it = st.begin(); it != st.end(); ++it) {
      const std::string at = where + ".special_tokens[\"" + it.key() + "\"]";
      const json& ids = jsonu::require(it.value(), "ids", at);
      const json& toks = jsonu::require(it.value(), "tokens", at);
      if (!ids.is_array() || !toks.is_array() || ids.size() != toks.size()) {
        throw ConfigError(at + ": \"ids\" and \"tokens\" must be arrays of the same length");
      }
      SpecialTokens s;
      for (size_t k = 0; k < ids.size(); ++k) {
        if (!ids[k].is_number_integer() || ids[k].get<int64_t>() < 0 ||
            ids[k].get<int64_t>() > INT32_MAX || !toks[k].is_string()) {
          throw ConfigError(at + ": bad entry " + std::to_string(k));
        }
        s.ids.push_back(static_cast<int32_t>(ids[k].get<int64_t>()));
        s.tokens.push_back(toks[k].get<std::string>());
      }
      specials[it.key()] = std::move(s);
    }
  }
  const json& single = jsonu::require(j, "single", where);
  if (!single.is_array()) {
    throw ConfigError(where + ".single: expected an array, got " + jsonu::type_name(single));
  }
  std::vector<SpecialTokens> before, after;
  bool seen_sequence = false;
  for (size_t i = 0; i < single.size(); ++i) {
    const json& piece = single[i];
    const std::string at = where + ".single[" + std::to_string(i) + "]";
    if (piece.is_object() && piece.contains("Sequence")) {
      seen_sequence = true;
    } else if (piece.is_object() && piece.contains("SpecialToken")) {
      const std::string id = jsonu::get_string(piece["SpecialToken"], "id", at);
      auto it = specials.find(id);
      if (it == specials.end()) {
        throw ConfigError(at + ": special token \"" + id + "\" is not in special_tokens");
      }
      (seen_sequence ? after : before).push_back(it->second);
    } else {
      throw ConfigError(at + ": expected {\"Sequence\": ...} or {\"SpecialToken\": ...}, got " +
                        piece.dump());
    }
  }
  return std::make_unique<TemplateProcessor>(std::move(before), std::move(after));
}

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const json& j, const std::string& where) {
  if (j.is_null()) {
    return nullptr;
  }
  const std::string type = jsonu::get_string(j, "type", where);
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevelProcessor>(
        jsonu::get_bool(j, "trim_offsets", where, true),
        jsonu::get_bool(j, "add_prefix_space", where, true));
  }
  if (type == "TemplateProcessing") {
    return make_template(j, where);
  }
  if (type == "BertProcessing") {
    return std::make_unique<ClsSepProcessor>(read_pair(j, "cls", where), read_pair(j, "sep", where),
                                             false, false);
  }
  if (type == "RobertaProcessing") {
    return std::make_unique<ClsSepProcessor>(read_pair(j, "cls", where), read_pair(j, "sep", where),
                                             jsonu::get_bool(j, "trim_offsets", where, true),
                                             jsonu::get_bool(j, "add_prefix_space", where, true));
  }
  if (type == "Sequence") {
    const json& items = jsonu::require(j, "processors", where);
    if (!items.is_array()) {
      throw ConfigError(where + ".processors: expected an array, got " + jsonu::type_name(items));
    }
    std::vector<std::unique_ptr<PostProcessor>> list;
    for (size_t i = 0; i < items.size(); ++i) {
      if (auto p =
              make_post_processor(items[i], where + ".processors[" + std::to_string(i) + "]")) {
        list.push_back(std::move(p));
      }
    }
    return std::make_unique<SequenceProcessor>(std::move(list));
  }
  throw ConfigError(where + ": unknown post-processor type \"" + type + "\"");
}

}  // namespace mlxcpp::tokenizer
