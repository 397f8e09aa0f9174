#include "mlxcpp/tokenizer/pre_tokenizers.h"

#include <vector>

#include "mlxcpp/tokenizer/byte_level.h"
#include "mlxcpp/tokenizer/regex.h"

namespace mlxcpp::tokenizer {

void materialize_byte_level(Piece& piece) {
  if (!piece.byte_level) {
    return;
  }
  const std::string& t = piece.text.get();
  NormalizedString::Rewrite rw(piece.text);
  for (size_t i = 0; i < t.size(); ++i) {
    rw.put(byte_level::byte_to_char_utf8(static_cast<unsigned char>(t[i])), i, i + 1);
  }
  piece.text = rw.finish();
  piece.byte_level = false;
}

namespace {

using Ranges = std::function<void(std::string_view, const RangeSink&)>;

// Splits a piece with the given ranges; output pieces keep the byte_level flag.
void split_piece(Piece&& piece, const Ranges& ranges, SplitBehavior behavior, bool invert,
                 const PieceSink& out) {
  if (piece.byte_level) {
    materialize_byte_level(piece);
  }
  split(piece.text, ranges, behavior, invert, [&](NormalizedString&& s) {
    out(Piece{std::move(s), false});
  });
}

Ranges char_class(std::function<bool(char32_t)> pred) {
  return [pred = std::move(pred)](std::string_view text, const RangeSink& sink) {
    char_ranges(pred, text, sink);
  };
}

Ranges regex_class(std::shared_ptr<const Regex> re) {
  return [re = std::move(re)](std::string_view text, const RangeSink& sink) {
    regex_ranges(*re, text, sink);
  };
}

bool is_ascii_punct(char32_t c) {
  return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
         (c >= 0x7B && c <= 0x7E);
}

bool is_bert_punct(char32_t c) {
  return is_ascii_punct(c) || unicode::is_punctuation(c);
}

class ByteLevelPre : public PreTokenizer {
 public:
  ByteLevelPre(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space),
        regex_(use_regex ? std::make_shared<Regex>(byte_level::kGpt2Pattern) : nullptr) {}

  void pre_tokenize(Piece&& piece, const PieceSink& out) const override {
    if (piece.byte_level) {
      materialize_byte_level(piece);
    }
    if (add_prefix_space_ && (piece.text.empty() || piece.text.get()[0] != ' ')) {
      piece.text.prepend(" ");
    }
    if (!regex_) {
      piece.byte_level = true;
      out(std::move(piece));
      return;
    }
    split(piece.text, regex_class(regex_), SplitBehavior::Isolated, false,
          [&](NormalizedString&& s) {
            out(Piece{std::move(s), true});
          });
  }

 private:
  bool add_prefix_space_;
  std::shared_ptr<const Regex> regex_;
};

class SplitPre : public PreTokenizer {
 public:
  SplitPre(Ranges ranges, SplitBehavior behavior, bool invert)
      : ranges_(std::move(ranges)), behavior_(behavior), invert_(invert) {}
  void pre_tokenize(Piece&& piece, const PieceSink& out) const override {
    split_piece(std::move(piece), ranges_, behavior_, invert_, out);
  }

 private:
  Ranges ranges_;
  SplitBehavior behavior_;
  bool invert_;
};

// Non-overlapping occurrences of a literal string (a Split with a String pattern).
Ranges literal_class(std::string needle) {
  return [needle = std::move(needle)](std::string_view text, const RangeSink& sink) {
    if (text.empty()) {
      sink(0, 0, false);
      return;
    }
    size_t prev = 0;
    size_t at = text.find(needle);
    while (at != std::string_view::npos) {
      if (prev != at) {
        sink(prev, at, false);
      }
      sink(at, at + needle.size(), true);
      prev = at + needle.size();
      at = text.find(needle, prev);
    }
    if (prev != text.size()) {
      sink(prev, text.size(), false);
    }
  };
}

enum class PrependScheme { Always, First, Never };

class Metaspace : public PreTokenizer {
 public:
  Metaspace(char32_t replacement, PrependScheme scheme, bool split)
      : replacement_(replacement),
        rep_(utf8::encode(replacement)),
        scheme_(scheme),
        split_(split) {}

  void pre_tokenize(Piece&& piece, const PieceSink& out) const override {
    if (piece.byte_level) {
      materialize_byte_level(piece);
    }
    NormalizedString& s = piece.text;
    s.replace_literal(" ", rep_);
    const bool starts = s.get().compare(0, rep_.size(), rep_) == 0;
    if (!starts && (scheme_ == PrependScheme::Always ||
                    (scheme_ == PrependScheme::First && s.original_offset() == 0))) {
      s.prepend(rep_);
    }
    if (!split_) {
      if (!s.empty()) {
        out(std::move(piece));
      }
      return;
    }
    const char32_t r = replacement_;
    split(s, char_class([r](char32_t c) { return c == r; }), SplitBehavior::MergedWithNext, false,
          [&](NormalizedString&& p) {
            out(Piece{std::move(p), false});
          });
  }

 private:
  char32_t replacement_;
  std::string rep_;
  PrependScheme scheme_;
  bool split_;
};

// Rust regex \w+|[^\w\s]+ : runs of word characters and runs of other non-space characters.
void whitespace_ranges(std::string_view text, const RangeSink& sink) {
  if (text.empty()) {
    sink(0, 0, false);
    return;
  }
  size_t prev = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    const char32_t c = utf8::next(text, j);
    const bool word = unicode::is_word_char(c);
    if (!word && unicode::is_whitespace(c)) {
      i = j;
      continue;
    }
    size_t end = j;
    while (end < text.size()) {
      size_t k = end;
      const char32_t d = utf8::next(text, k);
      const bool dw = unicode::is_word_char(d);
      if (word ? !dw : (dw || unicode::is_whitespace(d))) {
        break;
      }
      end = k;
    }
    if (prev != i) {
      sink(prev, i, false);
    }
    sink(i, end, true);
    prev = end;
    i = end;
  }
  if (prev != text.size()) {
    sink(prev, text.size(), false);
  }
}

class Whitespace : public PreTokenizer {
 public:
  void pre_tokenize(Piece&& piece, const PieceSink& out) const override {
    split_piece(std::move(piece), whitespace_ranges, SplitBehavior::Removed, true, out);
  }
};

class BertPre : public PreTokenizer {
 public:
  void pre_tokenize(Piece&& piece, const PieceSink& out) const override {
    static const Ranges space = char_class(unicode::is_whitespace);
    static const Ranges punct = char_class(is_bert_punct);
    split_piece(std::move(piece), space, SplitBehavior::Removed, false, [&](Piece&& p) {
      split_piece(std::move(p), punct, SplitBehavior::Isolated, false, out);
    });
  }
};

class UnicodeScriptsPre : public PreTokenizer {
 public:
  void pre_tokenize(Piece&& piece, const PieceSink& out) const override {
    if (piece.byte_level) {
      materialize_byte_level(piece);
    }
    const std::string& t = piece.text.get();
    // Cut where the script changes; spaces (script "Any") join either side. As in the
    // reference, text before the first character with a script is dropped.
    const int kAny = -1;
    const int kNone = -2;
    int last = kNone;
    std::vector<size_t> cuts;
    size_t i = 0;
    while (i < t.size()) {
      const size_t b = i;
      const char32_t c = utf8::next(t, i);
      const int s = fixed_script(c);
      if (s != kAny && last != kAny && last != s) {
        cuts.push_back(b);
      }
      if (s != kAny) {
        last = s;
      }
    }
    cuts.push_back(t.size());
    for (size_t k = 0; k + 1 < cuts.size(); ++k) {
      if (cuts[k] < cuts[k + 1]) {
        out(Piece{piece.text.slice(cuts[k], cuts[k + 1]), false});
      }
    }
  }

 private:
  static int fixed_script(char32_t c) {
    static const int han = unicode::script_id("Han");
    static const int hira = unicode::script_id("Hiragana");
    static const int kata = unicode::script_id("Katakana");
    if (c == 0x30FC) {
      return han;
    }
    if (c == ' ') {
      return -1;
    }
    const int s = unicode::script(c);
    if (s == 0) {
      return -1;  // unassigned code points belong to no script
    }
    return (s == hira || s == kata) ? han : s;
  }
};

class FixedLength : public PreTokenizer {
 public:
  explicit FixedLength(size_t length) : length_(length) {}
  void pre_tokenize(Piece&& piece, const PieceSink& out) const override {
    if (piece.byte_level) {
      materialize_byte_level(piece);
    }
    const std::string& t = piece.text.get();
    size_t i = 0;
    while (i < t.size()) {
      const size_t b = i;
      for (size_t n = 0; n < length_ && i < t.size(); ++n) {
        utf8::next(t, i);
      }
      out(Piece{piece.text.slice(b, i), false});
    }
  }

 private:
  size_t length_;
};

class SequencePre : public PreTokenizer {
 public:
  explicit SequencePre(std::vector<std::unique_ptr<PreTokenizer>> items)
      : items_(std::move(items)) {}
  void pre_tokenize(Piece&& piece, const PieceSink& out) const override {
    run(0, std::move(piece), out);
  }

 private:
  void run(size_t k, Piece&& piece, const PieceSink& out) const {
    if (k == items_.size()) {
      out(std::move(piece));
      return;
    }
    items_[k]->pre_tokenize(std::move(piece), [&](Piece&& p) { run(k + 1, std::move(p), out); });
  }
  std::vector<std::unique_ptr<PreTokenizer>> items_;
};

PrependScheme read_prepend_scheme(const json& j, const std::string& where) {
  const std::string s = jsonu::get_string(j, "prepend_scheme", where, "always");
  PrependScheme scheme = PrependScheme::Always;
  if (s == "always") {
    scheme = PrependScheme::Always;
  } else if (s == "first") {
    scheme = PrependScheme::First;
  } else if (s == "never") {
    scheme = PrependScheme::Never;
  } else {
    throw ConfigError(where + ".prepend_scheme: expected always, first or never, got \"" + s +
                      "\"");
  }
  // Older files say add_prefix_space instead.
  if (const auto add = jsonu::get_opt_bool(j, "add_prefix_space", where)) {
    if (!*add) {
      scheme = PrependScheme::Never;
    }
  }
  return scheme;
}

std::unique_ptr<PreTokenizer> make_split(const json& j, const std::string& where) {
  const json& p = jsonu::require(j, "pattern", where);
  Ranges ranges;
  if (p.is_object() && p.contains("String") && p["String"].is_string()) {
    const std::string lit = p["String"].get<std::string>();
    if (lit.empty()) {
      ranges = regex_class(std::make_shared<Regex>(Regex::literal(lit)));
    } else {
      ranges = literal_class(lit);
    }
  } else if (p.is_object() && p.contains("Regex") && p["Regex"].is_string()) {
    try {
      ranges = regex_class(std::make_shared<Regex>(p["Regex"].get<std::string>()));
    } catch (const std::invalid_argument& e) {
      throw ConfigError(where + ".pattern: " + e.what());
    }
  } else {
    throw ConfigError(where + ".pattern: expected {\"String\": ...} or {\"Regex\": ...}, got " +
                      p.dump());
  }
  SplitBehavior behavior = SplitBehavior::Isolated;
  try {
    behavior = parse_split_behavior(jsonu::get_string(j, "behavior", where));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(where + ".behavior: " + e.what());
  }
  return std::make_unique<SplitPre>(std::move(ranges), behavior,
                                    jsonu::get_bool(j, "invert", where, false));
}

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const json& j, const std::string& where) {
  if (j.is_null()) {
    return nullptr;
  }
  const std::string type = jsonu::get_string(j, "type", where);
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevelPre>(jsonu::get_bool(j, "add_prefix_space", where, true),
                                          jsonu::get_bool(j, "use_regex", where, true));
  }
  if (type == "Split") {
    return make_split(j, where);
  }
  if (type == "Metaspace") {
    return std::make_unique<Metaspace>(jsonu::get_char(j, "replacement", where, 0x2581),
                                       read_prepend_scheme(j, where),
                                       jsonu::get_bool(j, "split", where, true));
  }
  if (type == "Whitespace") {
    return std::make_unique<Whitespace>();
  }
  if (type == "WhitespaceSplit") {
    return std::make_unique<SplitPre>(char_class(unicode::is_whitespace), SplitBehavior::Removed,
                                      false);
  }
  if (type == "BertPreTokenizer") {
    return std::make_unique<BertPre>();
  }
  if (type == "Digits") {
    const bool individual = jsonu::get_bool(j, "individual_digits", where, false);
    return std::make_unique<SplitPre>(
        char_class(unicode::is_number),
        individual ? SplitBehavior::Isolated : SplitBehavior::Contiguous, false);
  }
  if (type == "Punctuation") {
    SplitBehavior behavior = SplitBehavior::Isolated;
    try {
      behavior = parse_split_behavior(jsonu::get_string(j, "behavior", where, "Isolated"));
    } catch (const std::invalid_argument& e) {
      throw ConfigError(where + ".behavior: " + e.what());
    }
    return std::make_unique<SplitPre>(char_class(is_bert_punct), behavior, false);
  }
  if (type == "CharDelimiterSplit") {
    const char32_t d = jsonu::get_char(j, "delimiter", where, 0);
    if (d == 0) {
      throw ConfigError(where + ": missing key \"delimiter\"");
    }
    return std::make_unique<SplitPre>(char_class([d](char32_t c) { return c == d; }),
                                      SplitBehavior::Removed, false);
  }
  if (type == "UnicodeScripts") {
    return std::make_unique<UnicodeScriptsPre>();
  }
  if (type == "FixedLength") {
    return std::make_unique<FixedLength>(
        static_cast<size_t>(jsonu::get_int(j, "length", where, 5, 1, 1 << 20)));
  }
  if (type == "Sequence") {
    const json& items = jsonu::require(j, "pretokenizers", where);
    if (!items.is_array()) {
      throw ConfigError(where + ".pretokenizers: expected an array, got " +
                        jsonu::type_name(items));
    }
    std::vector<std::unique_ptr<PreTokenizer>> list;
    for (size_t i = 0; i < items.size(); ++i) {
      auto p = make_pre_tokenizer(items[i], where + ".pretokenizers[" + std::to_string(i) + "]");
      if (p) {
        list.push_back(std::move(p));
      }
    }
    return std::make_unique<SequencePre>(std::move(list));
  }
  throw ConfigError(where + ": unknown pre-tokenizer type \"" + type + "\"");
}

}  // namespace mlxcpp::tokenizer
