#include "mlxcpp/tokenizer/decoders.h"

#include "mlxcpp/tokenizer/byte_level.h"
#include "mlxcpp/tokenizer/regex.h"
#include "mlxcpp/tokenizer/utf8.h"

namespace mlxcpp::tokenizer {

namespace {

std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
  if (from.empty()) {
    return std::string(s);
  }
  std::string out;
  size_t prev = 0;
  size_t at = s.find(from);
  while (at != std::string_view::npos) {
    out.append(s.substr(prev, at - prev));
    out.append(to);
    prev = at + from.size();
    at = s.find(from, prev);
  }
  out.append(s.substr(prev));
  return out;
}

class ByteLevelDecoder : public Decoder {
 public:
  // The whole sequence becomes one string: a character outside the alphabet
  // keeps its own bytes, and the bytes are then read as lossy UTF-8.
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const auto& t : tokens) {
      if (!byte_level::decode(t, bytes)) {
        bytes += t;
      }
    }
    tokens.assign(1, utf8::repair(bytes));
  }
};

class MetaspaceDecoder : public Decoder {
 public:
  MetaspaceDecoder(char32_t replacement, bool strip_first)
      : replacement_(utf8::encode(replacement)), strip_first_(strip_first) {}
  // Replacement characters become spaces, except in the first token, where the
  // prepended one (and any other) is removed unless nothing was prepended.
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      tokens[i] = replace_all(tokens[i], replacement_, i == 0 && strip_first_ ? "" : " ");
    }
  }

 private:
  std::string replacement_;
  bool strip_first_;
};

class WordPieceDecoder : public Decoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup)
      : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& t = tokens[i];
      if (i != 0) {
        if (t.compare(0, prefix_.size(), prefix_) == 0) {
          t.erase(0, prefix_.size());
        } else {
          t = " " + t;
        }
      }
      if (cleanup_) {
        t = cleanup_tokenization(t);
      }
    }
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

class ByteFallbackDecoder : public Decoder {
 public:
  // Runs of <0xXX> tokens become the text they encode; bytes that are not
  // valid UTF-8 become one U+FFFD each.
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string pending;
    auto flush = [&] {
      if (pending.empty()) {
        return;
      }
      if (utf8::is_valid(pending)) {
        out.push_back(pending);
      } else {
        out.insert(out.end(), pending.size(), std::string(utf8::kReplacement));
      }
      pending.clear();
    };
    for (auto& t : tokens) {
      int byte = -1;
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') {
        byte = parse_hex(t[3], t[4]);
      }
      if (byte >= 0) {
        pending.push_back(static_cast<char>(byte));
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens = std::move(out);
  }

 private:
  static int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
  static int parse_hex(char hi, char lo) {
    const int h = hex_digit(hi), l = hex_digit(lo);
    return h < 0 || l < 0 ? -1 : h * 16 + l;
  }
};

class FuseDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const auto& t : tokens) {
      all += t;
    }
    tokens.assign(1, std::move(all));
  }
};

class StripDecoder : public Decoder {
 public:
  StripDecoder(char32_t content, size_t start, size_t stop)
      : content_(content), start_(start), stop_(stop) {}
  // Removes up to `start` leading and `stop` trailing `content` characters of each token.
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) {
      std::vector<size_t> starts;  // byte offset of each character
      size_t i = 0;
      while (i < t.size()) {
        starts.push_back(i);
        utf8::next(t, i);
      }
      const size_t n = starts.size();
      auto char_at = [&](size_t k) {
        size_t p = starts[k];
        return utf8::next(t, p);
      };
      size_t first = 0;
      while (first < std::min(start_, n) && char_at(first) == content_) {
        ++first;
      }
      size_t last = n;
      for (size_t k = 0; k < stop_ && last > first && char_at(last - 1) == content_; ++k) {
        --last;
      }
      const size_t b = first < n ? starts[first] : t.size();
      const size_t e = last < n ? starts[last] : t.size();
      t = b < e ? t.substr(b, e - b) : std::string();
    }
  }

 private:
  char32_t content_;
  size_t start_, stop_;
};

class ReplaceDecoder : public Decoder {
 public:
  ReplaceDecoder(std::string literal, std::unique_ptr<Regex> regex, std::string content)
      : literal_(std::move(literal)), regex_(std::move(regex)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) {
      t = regex_ ? regex_replace(*regex_, t, content_) : replace_all(t, literal_, content_);
    }
  }

 private:
  std::string literal_;
  std::unique_ptr<Regex> regex_;
  std::string content_;
};

class BpeDecoder : public Decoder {
 public:
  explicit BpeDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
  // The end-of-word suffix becomes a space, except on the last token.
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      tokens[i] = replace_all(tokens[i], suffix_, i + 1 == tokens.size() ? "" : " ");
    }
  }

 private:
  std::string suffix_;
};

class CtcDecoder : public Decoder {
 public:
  CtcDecoder(std::string pad, std::string delimiter, bool cleanup)
      : pad_(std::move(pad)), delimiter_(std::move(delimiter)), cleanup_(cleanup) {}
  // Repeated tokens collapse to one, padding disappears, the word delimiter becomes a space.
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0 && tokens[i] == tokens[i - 1]) {
        continue;
      }
      std::string t = replace_all(tokens[i], pad_, "");
      if (cleanup_) {
        t = replace_all(cleanup_tokenization(t), delimiter_, " ");
      }
      if (!t.empty()) {
        out.push_back(std::move(t));
      }
    }
    tokens = std::move(out);
  }

 private:
  std::string pad_, delimiter_;
  bool cleanup_;
};

class SequenceDecoder : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> items)
      : items_(std::move(items)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& d : items_) {
      d->decode_chain(tokens);
    }
  }

 private:
  std::vector<std::unique_ptr<Decoder>> items_;
};

std::unique_ptr<Decoder> make_replace(const json& j, const std::string& where) {
  const json& p = jsonu::require(j, "pattern", where);
  std::string content = jsonu::get_string(j, "content", where);
  if (p.is_object() && p.contains("String") && p["String"].is_string()) {
    return std::make_unique<ReplaceDecoder>(p["String"].get<std::string>(), nullptr,
                                            std::move(content));
  }
  if (p.is_object() && p.contains("Regex") && p["Regex"].is_string()) {
    try {
      return std::make_unique<ReplaceDecoder>(
          "", std::make_unique<Regex>(p["Regex"].get<std::string>()), std::move(content));
    } catch (const std::invalid_argument& e) {
      throw ConfigError(where + ".pattern: " + e.what());
    }
  }
  throw ConfigError(where + ".pattern: expected {\"String\": ...} or {\"Regex\": ...}, got " +
                    p.dump());
}

}  // namespace

std::string cleanup_tokenization(std::string_view s) {
  static constexpr std::pair<std::string_view, std::string_view> kRules[] = {
      {" .", "."},   {" ?", "?"},     {" !", "!"},    {" ,", ","},
      {" ' ", "'"},  {" n't", "n't"}, {" 'm", "'m"},  {" do not", " don't"},
      {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  std::string out(s);
  for (const auto& [from, to] : kRules) {
    out = replace_all(out, from, to);
  }
  return out;
}

std::string decode_tokens(const Decoder* decoder, std::vector<std::string> tokens) {
  std::string out;
  if (decoder == nullptr) {
    for (size_t i = 0; i < tokens.size(); ++i) {
      out += i > 0 ? " " : "";
      out += tokens[i];
    }
    return out;
  }
  decoder->decode_chain(tokens);
  for (const auto& t : tokens) {
    out += t;
  }
  return out;
}

std::unique_ptr<Decoder> make_decoder(const json& j, const std::string& where) {
  if (j.is_null()) {
    return nullptr;
  }
  const std::string type = jsonu::get_string(j, "type", where);
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevelDecoder>();
  }
  if (type == "Metaspace") {
    const std::string scheme = jsonu::get_string(j, "prepend_scheme", where, "always");
    bool strip_first = scheme != "never";
    if (const auto add = jsonu::get_opt_bool(j, "add_prefix_space", where); add && !*add) {
      strip_first = false;
    }
    return std::make_unique<MetaspaceDecoder>(jsonu::get_char(j, "replacement", where, 0x2581),
                                              strip_first);
  }
  if (type == "WordPiece") {
    return std::make_unique<WordPieceDecoder>(jsonu::get_string(j, "prefix", where, "##"),
                                              jsonu::get_bool(j, "cleanup", where, true));
  }
  if (type == "ByteFallback") {
    return std::make_unique<ByteFallbackDecoder>();
  }
  if (type == "Fuse") {
    return std::make_unique<FuseDecoder>();
  }
  if (type == "Strip") {
    return std::make_unique<StripDecoder>(
        jsonu::get_char(j, "content", where, ' '),
        static_cast<size_t>(jsonu::get_int(j, "start", where, 0, 0, INT32_MAX)),
        static_cast<size_t>(jsonu::get_int(j, "stop", where, 0, 0, INT32_MAX)));
  }
  if (type == "Replace") {
    return make_replace(j, where);
  }
  if (type == "BPEDecoder") {
    return std::make_unique<BpeDecoder>(jsonu::get_string(j, "suffix", where, "</w>"));
  }
  if (type == "CTC") {
    return std::make_unique<CtcDecoder>(jsonu::get_string(j, "pad_token", where, "<pad>"),
                                        jsonu::get_string(j, "word_delimiter_token", where, "|"),
                                        jsonu::get_bool(j, "cleanup", where, true));
  }
  if (type == "Sequence") {
    const json& items = jsonu::require(j, "decoders", where);
    if (!items.is_array()) {
      throw ConfigError(where + ".decoders: expected an array, got " + jsonu::type_name(items));
    }
    std::vector<std::unique_ptr<Decoder>> list;
    for (size_t i = 0; i < items.size(); ++i) {
      if (auto d = make_decoder(items[i], where + ".decoders[" + std::to_string(i) + "]")) {
        list.push_back(std::move(d));
      }
    }
    return std::make_unique<SequenceDecoder>(std::move(list));
  }
  throw ConfigError(where + ": unknown decoder type \"" + type + "\"");
}

}  // namespace mlxcpp::tokenizer
