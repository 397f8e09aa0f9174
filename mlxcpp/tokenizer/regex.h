// A compiled PCRE2 regular expression (UTF, Unicode properties, JIT) with the
// match iteration the reference tokenizers use.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace mlxcpp::tokenizer {

class Regex {
 public:
  /** Compiles `pattern`; throws std::invalid_argument naming the pattern and the error. */
  explicit Regex(std::string_view pattern);
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;
  ~Regex();

  /** A regex that matches `literal` exactly. */
  static Regex literal(std::string_view literal);

  const std::string& pattern() const { return pattern_; }

  /**
   * Calls fn(begin, end) for each match in `text` (valid UTF-8), left to right
   * and non-overlapping, as Oniguruma's find_iter does: an empty match right
   * where the previous match ended is skipped and the search moves on by one
   * character. Stops early when fn returns false.
   */
  void for_each_match(std::string_view text, const std::function<bool(size_t, size_t)>& fn) const;

  /** True when some part of `text` matches. */
  bool search(std::string_view text) const;

  /** True when the regex matches the whole of `text`. */
  bool full_match(std::string_view text) const;

 private:
  struct Impl;
  std::string pattern_;
  std::unique_ptr<Impl> impl_;
};

/** `text` with every match of `re` replaced by `replacement` (taken literally). */
std::string regex_replace(const Regex& re, std::string_view text, std::string_view replacement);

}  // namespace mlxcpp::tokenizer
