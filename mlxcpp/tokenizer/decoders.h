// Decoders of the tokenizer.json format: they turn a list of token strings
// back into text (ByteLevel, Metaspace, WordPiece, ByteFallback, ...).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mlxcpp/tokenizer/json_util.h"

namespace mlxcpp::tokenizer {

class Decoder {
 public:
  virtual ~Decoder() = default;
  /** One step of the chain: token strings in, token strings out (joined at the end). */
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

/** Builds a decoder from its tokenizer.json object; null gives nullptr.
 *  Throws ConfigError for an unknown type or a malformed field. */
std::unique_ptr<Decoder> make_decoder(const json& j, const std::string& where = "decoder");

/** Runs the decoder (or, without one, joins with spaces as the reference does). */
std::string decode_tokens(const Decoder* decoder, std::vector<std::string> tokens);

/** The WordPiece/CTC decoders' cleanup of spaces before punctuation and contractions. */
std::string cleanup_tokenization(std::string_view s);

}  // namespace mlxcpp::tokenizer
