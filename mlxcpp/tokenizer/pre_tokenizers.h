// Pre-tokenizers of the tokenizer.json format: they cut normalized text into
// the pieces the model tokenizes one at a time (words, digits, ...).
#pragma once

#include <functional>
#include <memory>

#include "mlxcpp/tokenizer/json_util.h"
#include "mlxcpp/tokenizer/normalized_string.h"

namespace mlxcpp::tokenizer {

/** One piece of pre-tokenized text. */
struct Piece {
  NormalizedString text;
  /** The bytes of `text` are still to be shown in the byte-level alphabet (the
   *  ByteLevel pre-tokenizer defers that mapping to the model). */
  bool byte_level = false;
};

using PieceSink = std::function<void(Piece&&)>;

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  /** Cuts `piece` and passes the resulting non-empty pieces, in order, to `out`. */
  virtual void pre_tokenize(Piece&& piece, const PieceSink& out) const = 0;
};

/** Builds a pre-tokenizer from its tokenizer.json object; null gives nullptr. */
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const json& j,
                                                 const std::string& where = "pre_tokenizer");

/** Applies a deferred byte-level mapping to the piece's text (keeping alignments). */
void materialize_byte_level(Piece& piece);

}  // namespace mlxcpp::tokenizer
