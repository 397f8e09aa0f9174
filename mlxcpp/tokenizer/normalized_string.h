// A piece of text as the tokenizer pipeline rewrites it, with the alignment of
// every byte to the span of the original input it came from (for offsets).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mlxcpp/tokenizer/unicode.h"
#include "mlxcpp/tokenizer/utf8.h"

namespace mlxcpp::tokenizer {

class Regex;

/** A byte range [begin, end) of the original input. */
struct Span {
  uint32_t begin = 0;
  uint32_t end = 0;
};

class NormalizedString {
 public:
  NormalizedString() = default;
  /** `text` unchanged, starting at byte `original_offset` of the input. */
  explicit NormalizedString(std::string text, size_t original_offset = 0);
  /** Text with explicit per-byte alignments (absolute original spans). */
  NormalizedString(std::string text, std::vector<Span> align, size_t original_offset);

  const std::string& get() const { return text_; }
  size_t size() const { return text_.size(); }
  bool empty() const { return text_.empty(); }

  /** Where this piece's original text starts in the input. */
  size_t original_offset() const { return base_; }

  /** The original span of normalized bytes [b, e); an empty range maps to an empty span. */
  Span original_span(size_t b, size_t e) const;

  /** The sub-piece of normalized bytes [b, e) (on character boundaries). */
  NormalizedString slice(size_t b, size_t e) const;

  /** Replaces every character c by f(c) (appended to `out`; empty = remove).
   *  The new text of a character is aligned to that character's span. */
  template <typename F>
  void map_chars(F&& f);

  void lowercase();
  void uppercase();
  void normalize(unicode::Form form);
  void prepend(std::string_view s);
  void append(std::string_view s);
  /** Removes leading and/or trailing White_Space characters. */
  void strip(bool left, bool right);
  /** Replaces every match of `re` by `content`. */
  void replace(const Regex& re, std::string_view content);
  /** Replaces every occurrence of `needle` (non-empty) by `content`. */
  void replace_literal(std::string_view needle, std::string_view content);

  /** Builds a rewritten string from this one, range by range. */
  class Rewrite {
   public:
    explicit Rewrite(const NormalizedString& src) : src_(src) {
      text_.reserve(src.size());
      align_.reserve(src.size());
    }
    /** Copies bytes [b, e) of the source with their alignment. */
    void copy(size_t b, size_t e);
    /** Appends new text aligned to the source span of bytes [b, e). */
    void put(std::string_view s, size_t b, size_t e);
    /** Appends new text aligned to an explicit span. */
    void put_span(std::string_view s, Span span);
    NormalizedString finish();

   private:
    const NormalizedString& src_;
    std::string text_;
    std::vector<Span> align_;
  };

 private:
  Span char_span(size_t i) const;  // span of the character containing byte i

  std::string text_;
  std::vector<Span> align_;  // empty: the text is the original text itself
  size_t base_ = 0;
};

/** How split() treats the delimiters a pattern matches. */
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

/** Parses "Removed", "Isolated", ...; throws std::invalid_argument otherwise. */
SplitBehavior parse_split_behavior(std::string_view name);

/** A receiver of (begin, end, is_match) ranges that cover a text in order. */
using RangeSink = std::function<void(size_t, size_t, bool)>;

/** The ranges of `text` that match `re` (and the gaps between), as Oniguruma finds them. */
void regex_ranges(const Regex& re, std::string_view text, const RangeSink& sink);
/** Each character for which pred is true is a match of its own. */
void char_ranges(const std::function<bool(char32_t)>& pred, std::string_view text,
                 const RangeSink& sink);

/**
 * Splits `s` into pieces: `ranges(text, sink)` produces the match/gap ranges,
 * `behavior` decides what becomes of the matches, `invert` swaps match and gap.
 * Empty pieces are dropped. Each piece goes to `out`.
 */
void split(const NormalizedString& s,
           const std::function<void(std::string_view, const RangeSink&)>& ranges,
           SplitBehavior behavior, bool invert, const std::function<void(NormalizedString&&)>& out);

// ---------------------------------------------------------------------------

template <typename F>
void NormalizedString::map_chars(F&& f) {
  Rewrite rw(*this);
  std::string buf;
  size_t i = 0;
  while (i < text_.size()) {
    const size_t start = i;
    const char32_t c = utf8::next(text_, i);
    buf.clear();
    f(c, buf);
    if (buf.size() == i - start && buf.compare(0, buf.size(), text_, start, i - start) == 0) {
      rw.copy(start, i);
    } else {
      rw.put(buf, start, i);
    }
  }
  *this = rw.finish();
}

}  // namespace mlxcpp::tokenizer
