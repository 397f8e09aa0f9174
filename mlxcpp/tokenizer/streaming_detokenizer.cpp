// Streaming detokenization by differences of decodes over a small window:
// the text of the new tokens is decode(window + new) minus decode(window),
// so decoders that treat the first token specially (SentencePiece's "▁",
// Strip) give the spaces a full decode would, and text that ends in an
// incomplete UTF-8 character (U+FFFD) waits for the next token.
#include <stdexcept>

#include "mlxcpp/tokenizer/tokenizer.h"
#include "mlxcpp/tokenizer/utf8.h"

namespace mlxcpp {

StreamingDetokenizer::StreamingDetokenizer(Tokenizer tokenizer, bool skip_special_tokens)
    : tokenizer_(std::move(tokenizer)), skip_special_(skip_special_tokens) {}

void StreamingDetokenizer::reset() {
  tokens_.clear();
  text_.clear();
  prefix_offset_ = read_offset_ = segment_offset_ = 0;
}

void StreamingDetokenizer::add_token(int32_t id) {
  if (!tokenizer_.id_to_token(id)) {
    throw std::invalid_argument("[StreamingDetokenizer::add_token] token id " + std::to_string(id) +
                                " is not in the vocabulary");
  }
  tokens_.push_back(id);
  advance(false);
}

void StreamingDetokenizer::finalize() {
  advance(true);
}

std::string StreamingDetokenizer::last_segment() {
  std::string s = text_.substr(segment_offset_);
  segment_offset_ = text_.size();
  return s;
}

void StreamingDetokenizer::advance(bool final) {
  if (read_offset_ == tokens_.size()) {
    return;
  }
  const std::span<const int32_t> all(tokens_);
  const std::string before =
      tokenizer_.decode(all.subspan(prefix_offset_, read_offset_ - prefix_offset_), skip_special_);
  const std::string now = tokenizer_.decode(all.subspan(prefix_offset_), skip_special_);
  const bool incomplete =
      now.size() >= 3 && now.compare(now.size() - 3, 3, tokenizer::utf8::kReplacement) == 0;
  if (!final && (incomplete || now.size() <= before.size())) {
    return;  // nothing final yet: an unfinished character, or no text
  }
  // The window's text is normally a prefix of the longer decode; where a
  // decoder rewrites it, fall back to the common prefix.
  size_t common = 0;
  while (common < before.size() && common < now.size() && before[common] == now[common]) {
    ++common;
  }
  text_.append(now, common, std::string::npos);
  prefix_offset_ = read_offset_;
  read_offset_ = tokens_.size();
}

}  // namespace mlxcpp
