// Post-processors of the tokenizer.json format: they add the special tokens
// around an encoded text (TemplateProcessing, BertProcessing, ...) and adjust
// offsets (ByteLevel's trim_offsets).
#pragma once

#include <memory>

#include "mlxcpp/tokenizer/encoding.h"
#include "mlxcpp/tokenizer/json_util.h"

namespace mlxcpp::tokenizer {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  /** Rewrites `enc` in place; special tokens are only added when add_special_tokens. */
  virtual void process(Encoding& enc, bool add_special_tokens) const = 0;
};

/** Builds a post-processor from its tokenizer.json object; null gives nullptr.
 *  Throws ConfigError for an unknown type or a malformed field. */
std::unique_ptr<PostProcessor> make_post_processor(const json& j,
                                                   const std::string& where = "post_processor");

}  // namespace mlxcpp::tokenizer
