// Normalizers of the tokenizer.json format: text rewrites applied before
// pre-tokenization (NFC, Lowercase, BertNormalizer, Precompiled, ...).
#pragma once

#include <memory>

#include "mlxcpp/tokenizer/json_util.h"
#include "mlxcpp/tokenizer/normalized_string.h"

namespace mlxcpp::tokenizer {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(NormalizedString& s) const = 0;
};

/** Builds a normalizer from its tokenizer.json object; null gives nullptr.
 *  Throws ConfigError for an unknown type or a malformed field. */
std::unique_ptr<Normalizer> make_normalizer(const json& j, const std::string& where = "normalizer");

/** Rust's char::to_lowercase over a whole string (no final-sigma rule). */
std::string lowercase_chars(std::string_view s);

}  // namespace mlxcpp::tokenizer
