#include "mlxcpp/tokenizer/normalized_string.h"

#include <optional>
#include <stdexcept>

#include "mlxcpp/tokenizer/regex.h"

namespace mlxcpp::tokenizer {

NormalizedString::NormalizedString(std::string text, size_t original_offset)
    : text_(std::move(text)), base_(original_offset) {}

NormalizedString::NormalizedString(std::string text, std::vector<Span> align,
                                   size_t original_offset)
    : text_(std::move(text)), align_(std::move(align)), base_(original_offset) {}

Span NormalizedString::char_span(size_t i) const {
  if (!align_.empty()) {
    return align_[i];
  }
  const size_t b = utf8::char_start(text_, i);
  const size_t e = b + utf8::lead_length(static_cast<unsigned char>(text_[b]));
  return {static_cast<uint32_t>(base_ + b), static_cast<uint32_t>(base_ + e)};
}

Span NormalizedString::original_span(size_t b, size_t e) const {
  if (text_.empty()) {
    return {static_cast<uint32_t>(base_), static_cast<uint32_t>(base_)};
  }
  if (b >= e) {
    const uint32_t at = b < text_.size() ? char_span(b).begin : char_span(text_.size() - 1).end;
    return {at, at};
  }
  const Span first = char_span(b);
  const Span last = char_span(e - 1);
  return {first.begin, std::max(first.begin, last.end)};
}

NormalizedString NormalizedString::slice(size_t b, size_t e) const {
  NormalizedString out;
  out.text_.assign(text_, b, e - b);
  if (align_.empty()) {
    out.base_ = base_ + b;
  } else {
    out.align_.assign(align_.begin() + static_cast<ptrdiff_t>(b),
                      align_.begin() + static_cast<ptrdiff_t>(e));
    out.base_ = b < e ? align_[b].begin : (b < align_.size() ? align_[b].begin : base_);
  }
  return out;
}

void NormalizedString::lowercase() {
  map_chars([](char32_t c, std::string& out) { unicode::append_lower(out, c); });
}

void NormalizedString::uppercase() {
  map_chars([](char32_t c, std::string& out) { unicode::append_upper(out, c); });
}

void NormalizedString::normalize(unicode::Form form) {
  std::string out;
  std::vector<unicode::NormChunk> chunks;
  if (!unicode::normalize(text_, form, out, &chunks)) {
    return;
  }
  Rewrite rw(*this);
  size_t pos = 0;
  for (const auto& c : chunks) {
    rw.copy(pos, c.in_begin);
    rw.put(std::string_view(out).substr(c.out_begin, c.out_end - c.out_begin), c.in_begin,
           c.in_end);
    pos = c.in_end;
  }
  rw.copy(pos, text_.size());
  *this = rw.finish();
}

void NormalizedString::prepend(std::string_view s) {
  if (text_.empty() || s.empty()) {
    return;
  }
  Rewrite rw(*this);
  // The new text shares the first character's span, as the reference does.
  rw.put_span(s, char_span(0));
  rw.copy(0, text_.size());
  *this = rw.finish();
}

void NormalizedString::append(std::string_view s) {
  if (s.empty()) {
    return;
  }
  Rewrite rw(*this);
  rw.copy(0, text_.size());
  if (text_.empty()) {
    rw.put_span(s, {static_cast<uint32_t>(base_), static_cast<uint32_t>(base_)});
  } else {
    rw.put_span(s, char_span(text_.size() - 1));
  }
  *this = rw.finish();
}

void NormalizedString::strip(bool left, bool right) {
  size_t b = 0, e = text_.size();
  if (left) {
    while (b < e) {
      size_t i = b;
      if (!unicode::is_whitespace(utf8::next(text_, i))) {
        break;
      }
      b = i;
    }
  }
  if (right) {
    while (e > b) {
      const size_t s = utf8::char_start(text_, e - 1);
      size_t i = s;
      if (!unicode::is_whitespace(utf8::next(text_, i))) {
        break;
      }
      e = s;
    }
  }
  if (b == 0 && e == text_.size()) {
    return;
  }
  const size_t base = base_;
  NormalizedString s = slice(b, e);
  if (s.text_.empty()) {
    s.base_ = base;
  }
  *this = std::move(s);
}

void NormalizedString::replace(const Regex& re, std::string_view content) {
  Rewrite rw(*this);
  size_t prev = 0;
  bool any = false;
  re.for_each_match(text_, [&](size_t b, size_t e) {
    rw.copy(prev, b);
    rw.put(content, b, e);
    prev = e;
    any = true;
    return true;
  });
  if (!any) {
    return;
  }
  rw.copy(prev, text_.size());
  *this = rw.finish();
}

void NormalizedString::replace_literal(std::string_view needle, std::string_view content) {
  if (needle.empty()) {
    return;
  }
  size_t at = text_.find(needle);
  if (at == std::string::npos) {
    return;
  }
  Rewrite rw(*this);
  size_t prev = 0;
  while (at != std::string::npos) {
    rw.copy(prev, at);
    rw.put(content, at, at + needle.size());
    prev = at + needle.size();
    at = text_.find(needle, prev);
  }
  rw.copy(prev, text_.size());
  *this = rw.finish();
}

// ---------------------------------------------------------------------------
// Rewrite

void NormalizedString::Rewrite::copy(size_t b, size_t e) {
  if (b >= e) {
    return;
  }
  text_.append(src_.text_, b, e - b);
  for (size_t i = b; i < e; ++i) {
    align_.push_back(src_.char_span(i));
  }
}

void NormalizedString::Rewrite::put(std::string_view s, size_t b, size_t e) {
  put_span(s, src_.original_span(b, e));
}

void NormalizedString::Rewrite::put_span(std::string_view s, Span span) {
  text_.append(s);
  align_.insert(align_.end(), s.size(), span);
}

NormalizedString NormalizedString::Rewrite::finish() {
  if (src_.align_.empty() && text_ == src_.text_) {
    return NormalizedString(std::move(text_), src_.base_);
  }
  const size_t base = !align_.empty() ? align_.front().begin : src_.base_;
  return NormalizedString(std::move(text_), std::move(align_), base);
}

// ---------------------------------------------------------------------------
// Splitting

SplitBehavior parse_split_behavior(std::string_view name) {
  if (name == "Removed") {
    return SplitBehavior::Removed;
  }
  if (name == "Isolated") {
    return SplitBehavior::Isolated;
  }
  if (name == "MergedWithPrevious") {
    return SplitBehavior::MergedWithPrevious;
  }
  if (name == "MergedWithNext") {
    return SplitBehavior::MergedWithNext;
  }
  if (name == "Contiguous") {
    return SplitBehavior::Contiguous;
  }
  throw std::invalid_argument("unknown split behavior \"" + std::string(name) +
                              "\"; expected Removed, Isolated, MergedWithPrevious, "
                              "MergedWithNext or Contiguous");
}

void regex_ranges(const Regex& re, std::string_view text, const RangeSink& sink) {
  if (text.empty()) {
    sink(0, 0, false);
    return;
  }
  size_t prev = 0;
  re.for_each_match(text, [&](size_t b, size_t e) {
    if (prev != b) {
      sink(prev, b, false);
    }
    sink(b, e, true);
    prev = e;
    return true;
  });
  if (prev != text.size()) {
    sink(prev, text.size(), false);
  }
}

void char_ranges(const std::function<bool(char32_t)>& pred, std::string_view text,
                 const RangeSink& sink) {
  if (text.empty()) {
    sink(0, 0, false);
    return;
  }
  size_t last = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t b = i;
    const char32_t c = utf8::next(text, i);
    if (pred(c)) {
      if (last < b) {
        sink(last, b, false);
      }
      sink(b, i, true);
      last = i;
    }
  }
  if (last < text.size()) {
    sink(last, text.size(), false);
  }
}

namespace {

// Turns the (range, is_match) stream into the pieces a behavior keeps.
class BehaviorFolder {
 public:
  BehaviorFolder(SplitBehavior behavior, const std::function<void(size_t, size_t)>& emit)
      : behavior_(behavior), emit_(emit) {}

  void feed(size_t b, size_t e, bool match) {
    switch (behavior_) {
      case SplitBehavior::Isolated:
        emit_(b, e);
        break;
      case SplitBehavior::Removed:
        if (!match) {
          emit_(b, e);
        }
        break;
      case SplitBehavior::Contiguous:
        if (pending_ && match == previous_match_) {
          pending_->second = e;
        } else {
          flush();
          pending_ = {b, e};
        }
        break;
      case SplitBehavior::MergedWithPrevious:
        if (match && !previous_match_ && pending_) {
          pending_->second = e;
        } else {
          flush();
          pending_ = {b, e};
        }
        break;
      case SplitBehavior::MergedWithNext:
        if (pending_ && pending_match_ && !match) {
          pending_->second = e;
          flush();
        } else {
          flush();
          pending_ = {b, e};
          pending_match_ = match;
          if (!match) {
            flush();
          }
        }
        break;
    }
    previous_match_ = match;
  }

  void flush() {
    if (pending_) {
      emit_(pending_->first, pending_->second);
      pending_.reset();
    }
  }

 private:
  SplitBehavior behavior_;
  const std::function<void(size_t, size_t)>& emit_;
  std::optional<std::pair<size_t, size_t>> pending_;
  bool pending_match_ = false;
  bool previous_match_ = false;
};

}  // namespace

void split(const NormalizedString& s,
           const std::function<void(std::string_view, const RangeSink&)>& ranges,
           SplitBehavior behavior, bool invert,
           const std::function<void(NormalizedString&&)>& out) {
  const std::function<void(size_t, size_t)> emit = [&](size_t b, size_t e) {
    if (b < e) {
      out(s.slice(b, e));
    }
  };
  BehaviorFolder folder(behavior, emit);
  ranges(s.get(), [&](size_t b, size_t e, bool match) { folder.feed(b, e, match != invert); });
  folder.flush();
}

}  // namespace mlxcpp::tokenizer
