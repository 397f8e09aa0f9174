#include "mlxcpp/tokenizer/normalizers.h"

#include <vector>

#include "mlxcpp/tokenizer/byte_level.h"
#include "mlxcpp/tokenizer/precompiled.h"
#include "mlxcpp/tokenizer/regex.h"

namespace mlxcpp::tokenizer {

namespace {

class UnicodeForm : public Normalizer {
 public:
  explicit UnicodeForm(unicode::Form form) : form_(form) {}
  void normalize(NormalizedString& s) const override { s.normalize(form_); }

 private:
  unicode::Form form_;
};

class Lowercase : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override { s.lowercase(); }
};

class Strip : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void normalize(NormalizedString& s) const override { s.strip(left_, right_); }

 private:
  bool left_, right_;
};

class StripAccents : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override {
    s.map_chars([](char32_t c, std::string& out) {
      if (!unicode::is_mark(c)) {
        utf8::append(out, c);
      }
    });
  }
};

class Prepend : public Normalizer {
 public:
  explicit Prepend(std::string p) : prepend_(std::move(p)) {}
  void normalize(NormalizedString& s) const override {
    if (!s.empty()) {
      s.prepend(prepend_);
    }
  }

 private:
  std::string prepend_;
};

class Replace : public Normalizer {
 public:
  Replace(std::string literal, std::unique_ptr<Regex> regex, std::string content)
      : literal_(std::move(literal)), regex_(std::move(regex)), content_(std::move(content)) {}
  void normalize(NormalizedString& s) const override {
    if (regex_) {
      s.replace(*regex_, content_);
    } else {
      s.replace_literal(literal_, content_);
    }
  }

 private:
  std::string literal_;
  std::unique_ptr<Regex> regex_;
  std::string content_;
};

bool is_bert_chinese(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

class BertNormalizer : public Normalizer {
 public:
  BertNormalizer(bool clean_text, bool chinese, bool strip_accents, bool lowercase)
      : clean_text_(clean_text),
        chinese_(chinese),
        strip_accents_(strip_accents),
        lowercase_(lowercase) {}

  void normalize(NormalizedString& s) const override {
    if (clean_text_ || chinese_) {
      s.map_chars([this](char32_t c, std::string& out) {
        if (clean_text_) {
          const bool control = c != '\t' && c != '\n' && c != '\r' && unicode::is_other(c);
          if (c == 0 || c == 0xFFFD || control) {
            return;
          }
          if (c == '\t' || c == '\n' || c == '\r' || unicode::is_whitespace(c)) {
            c = ' ';
          }
        }
        if (chinese_ && is_bert_chinese(c)) {
          out += ' ';
          utf8::append(out, c);
          out += ' ';
          return;
        }
        utf8::append(out, c);
      });
    }
    if (strip_accents_) {
      s.normalize(unicode::Form::NFD);
      s.map_chars([](char32_t c, std::string& out) {
        if (!unicode::is_mark_nonspacing(c)) {
          utf8::append(out, c);
        }
      });
    }
    if (lowercase_) {
      s.lowercase();
    }
  }

 private:
  bool clean_text_, chinese_, strip_accents_, lowercase_;
};

class Nmt : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override {
    s.map_chars([](char32_t c, std::string& out) {
      if ((c >= 0x1 && c <= 0x8) || c == 0xB || (c >= 0xE && c <= 0x1F) || c == 0x7F || c == 0x8F ||
          c == 0x9F) {
        return;
      }
      switch (c) {
        case 0x9:
        case 0xA:
        case 0xC:
        case 0xD:
        case 0x1680:
        case 0x2028:
        case 0x2029:
        case 0x2581:
        case 0xFEFF:
        case 0xFFFD:
          out += ' ';
          return;
        default:
          if (c >= 0x200B && c <= 0x200F) {
            out += ' ';
            return;
          }
          utf8::append(out, c);
      }
    });
  }
};

class Precompiled : public Normalizer {
 public:
  explicit Precompiled(std::optional<PrecompiledCharsmap> map) : map_(std::move(map)) {}
  void normalize(NormalizedString& s) const override {
    if (map_) {
      map_->normalize(s);
    }
  }

 private:
  std::optional<PrecompiledCharsmap> map_;
};

class ByteLevelNormalizer : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override {
    const std::string& t = s.get();
    NormalizedString::Rewrite rw(s);
    size_t i = 0;
    while (i < t.size()) {
      const size_t b = i;
      utf8::next(t, i);
      std::string mapped;
      for (size_t k = b; k < i; ++k) {
        mapped += byte_level::byte_to_char_utf8(static_cast<unsigned char>(t[k]));
      }
      rw.put(mapped, b, i);
    }
    s = rw.finish();
  }
};

class Sequence : public Normalizer {
 public:
  explicit Sequence(std::vector<std::unique_ptr<Normalizer>> items) : items_(std::move(items)) {}
  void normalize(NormalizedString& s) const override {
    for (const auto& n : items_) {
      n->normalize(s);
    }
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> items_;
};

// The pattern of a Replace/Split: {"String": "..."} or {"Regex": "..."}.
void read_pattern(const json& j, const std::string& where, std::string& literal,
                  std::unique_ptr<Regex>& regex) {
  const json& p = jsonu::require(j, "pattern", where);
  if (p.is_object() && p.contains("String") && p["String"].is_string()) {
    literal = p["String"].get<std::string>();
    if (literal.empty()) {
      regex = std::make_unique<Regex>(Regex::literal(literal));
    }
    return;
  }
  if (p.is_object() && p.contains("Regex") && p["Regex"].is_string()) {
    try {
      regex = std::make_unique<Regex>(p["Regex"].get<std::string>());
    } catch (const std::invalid_argument& e) {
      throw ConfigError(where + ".pattern: " + e.what());
    }
    return;
  }
  if (p.is_string()) {  // a bare string is a literal
    literal = p.get<std::string>();
    return;
  }
  throw ConfigError(where + ".pattern: expected {\"String\": ...} or {\"Regex\": ...}, got " +
                    p.dump());
}

}  // namespace

std::string lowercase_chars(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unicode::append_lower(out, utf8::next(s, i));
  }
  return out;
}

std::unique_ptr<Normalizer> make_normalizer(const json& j, const std::string& where) {
  if (j.is_null()) {
    return nullptr;
  }
  const std::string type = jsonu::get_string(j, "type", where);
  if (type == "NFC") {
    return std::make_unique<UnicodeForm>(unicode::Form::NFC);
  }
  if (type == "NFD") {
    return std::make_unique<UnicodeForm>(unicode::Form::NFD);
  }
  if (type == "NFKC") {
    return std::make_unique<UnicodeForm>(unicode::Form::NFKC);
  }
  if (type == "NFKD") {
    return std::make_unique<UnicodeForm>(unicode::Form::NFKD);
  }
  if (type == "Lowercase") {
    return std::make_unique<Lowercase>();
  }
  if (type == "Strip") {
    return std::make_unique<Strip>(jsonu::get_bool(j, "strip_left", where, true),
                                   jsonu::get_bool(j, "strip_right", where, true));
  }
  if (type == "StripAccents") {
    return std::make_unique<StripAccents>();
  }
  if (type == "Prepend") {
    return std::make_unique<Prepend>(jsonu::get_string(j, "prepend", where));
  }
  if (type == "Replace") {
    std::string literal;
    std::unique_ptr<Regex> regex;
    read_pattern(j, where, literal, regex);
    return std::make_unique<Replace>(std::move(literal), std::move(regex),
                                     jsonu::get_string(j, "content", where));
  }
  if (type == "BertNormalizer" || type == "Bert") {
    const bool lowercase = jsonu::get_bool(j, "lowercase", where, true);
    const auto strip = jsonu::get_opt_bool(j, "strip_accents", where);
    return std::make_unique<BertNormalizer>(jsonu::get_bool(j, "clean_text", where, true),
                                            jsonu::get_bool(j, "handle_chinese_chars", where, true),
                                            strip.value_or(lowercase), lowercase);
  }
  if (type == "Nmt") {
    return std::make_unique<Nmt>();
  }
  if (type == "Precompiled") {
    const std::string b64 = jsonu::get_string(j, "precompiled_charsmap", where, "");
    if (b64.empty()) {
      return std::make_unique<Precompiled>(std::nullopt);
    }
    return std::make_unique<Precompiled>(
        PrecompiledCharsmap(jsonu::base64_decode(b64, where + ".precompiled_charsmap")));
  }
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevelNormalizer>();
  }
  if (type == "Sequence") {
    const json& items = jsonu::require(j, "normalizers", where);
    if (!items.is_array()) {
      throw ConfigError(where + ".normalizers: expected an array, got " + jsonu::type_name(items));
    }
    std::vector<std::unique_ptr<Normalizer>> list;
    for (size_t i = 0; i < items.size(); ++i) {
      auto n = make_normalizer(items[i], where + ".normalizers[" + std::to_string(i) + "]");
      if (n) {
        list.push_back(std::move(n));
      }
    }
    return std::make_unique<Sequence>(std::move(list));
  }
  throw ConfigError(where + ": unknown normalizer type \"" + type + "\"");
}

}  // namespace mlxcpp::tokenizer
