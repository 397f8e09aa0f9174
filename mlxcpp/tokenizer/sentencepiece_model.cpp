// A SentencePiece model file (tokenizer.model) through libsentencepiece.
#include <sentencepiece_processor.h>

#include <stdexcept>

#include "mlxcpp/core/errors.h"
#include "mlxcpp/tokenizer/backend.h"

namespace mlxcpp::tokenizer {

namespace {

class SentencePieceBackend : public Backend {
 public:
  SentencePieceBackend(const std::string& path, bool add_bos, bool add_eos)
      : add_bos_(add_bos), add_eos_(add_eos) {
    const auto status = processor_.Load(path);
    if (!status.ok()) {
      throw FormatError(path, 0, "not a SentencePiece model: " + status.ToString());
    }
  }

  Encoding encode(std::string_view text, bool add_special_tokens, ModelScratch*) const override {
    Encoding enc;
    if (add_special_tokens && add_bos_ && processor_.bos_id() >= 0) {
      enc.push(processor_.bos_id(), processor_.IdToPiece(processor_.bos_id()), {0, 0}, true);
    }
    const auto spt = processor_.EncodeAsImmutableProto(absl::string_view(text.data(), text.size()));
    for (const auto& p : spt.pieces()) {
      const auto id = static_cast<int32_t>(p.id());
      enc.push(id, std::string(p.piece()), {p.begin(), p.end()}, processor_.IsControl(id));
    }
    if (add_special_tokens && add_eos_ && processor_.eos_id() >= 0) {
      enc.push(processor_.eos_id(), processor_.IdToPiece(processor_.eos_id()), {0, 0}, true);
    }
    return enc;
  }

  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens) const override {
    std::vector<int> kept;
    kept.reserve(ids.size());
    for (int32_t id : ids) {
      if (id < 0 || id >= processor_.GetPieceSize()) {
        throw std::invalid_argument("[Tokenizer::decode] token id " + std::to_string(id) +
                                    " is not in the vocabulary of " +
                                    std::to_string(processor_.GetPieceSize()) + " pieces");
      }
      if (!(skip_special_tokens && is_special(id))) {
        kept.push_back(id);
      }
    }
    std::string out;
    const auto status = processor_.Decode(kept, &out);
    if (!status.ok()) {
      throw Error("[SentencePiece] decode failed: " + status.ToString());
    }
    return out;
  }

  std::optional<int32_t> token_to_id(std::string_view token) const override {
    const int id = processor_.PieceToId(absl::string_view(token.data(), token.size()));
    if (id < 0 || processor_.IdToPiece(id) != token) {
      return std::nullopt;
    }
    return id;
  }

  std::optional<std::string> id_to_token(int32_t id) const override {
    if (id < 0 || id >= processor_.GetPieceSize()) {
      return std::nullopt;
    }
    return processor_.IdToPiece(id);
  }

  size_t vocab_size() const override { return static_cast<size_t>(processor_.GetPieceSize()); }

  bool is_special(int32_t id) const override {
    return id >= 0 && id < processor_.GetPieceSize() &&
           (processor_.IsControl(id) || processor_.IsUnknown(id));
  }

  bool strips_leading_space() const override { return true; }

 private:
  sentencepiece::SentencePieceProcessor processor_;
  bool add_bos_, add_eos_;
};

}  // namespace

std::unique_ptr<Backend> make_sentencepiece_backend(const std::string& path, bool add_bos,
                                                    bool add_eos) {
  return std::make_unique<SentencePieceBackend>(path, add_bos, add_eos);
}

}  // namespace mlxcpp::tokenizer
